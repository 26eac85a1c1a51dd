"""Driver voice enrollment: speaker adaptation of PocketSphinx's bundled acoustic model.

The driver reads a short list of prompts once (`eval/enroll/prompts.txt`). From those
recordings sphinxtrain's tools estimate a transform of the model's Gaussian means:

    sphinx_fe (features with the model's feat.params) -> bw (forced-alignment statistics)
    -> mllr_solve (one global MLLR transform) and map_adapt (MAP-adapted means)

The profile directory holds `profile.json`, `mllr_matrix`, a MAP-adapted model `map/` and the
driver's cepstral mean (`cmn.txt`, from the enrollment audio). A second bw pass re-aligns
with the MAP-adapted model. Decoding applies the profile's first method (MAP by default) with
`transcribe(..., adaptation=DIR)` via `copilot.speech.profile`.

The bundled model ships its mixture weights only as a quantised `sendump` and its model
definition in binary; bw needs a float `mixture_weights` file and a text mdef, so both are
derived once into the cache (`base_model()`).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import struct
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from copilot.speech.profile import EnrollError, model_dir, read_profile

log = logging.getLogger(__name__)

__all__ = ["EnrollError", "Profile", "Utterance", "enroll", "enroll_utterances", "read_profile"]

MIN_UTTERANCES = 8
PASSES = 2
"""Alignment passes over the enrollment audio: the second re-aligns with the MAP-adapted
model (on the speech set: no recording lost to alignment, MAP 54/54 -> 55/56 of 60 clean/noisy;
a third pass gave 53/54, so differences of 1-2 are noise)."""
MAX_FAILED_SHARE = 0.35
"""Share of enrollment recordings that may fail forced alignment before enrollment stops."""
SPHINXTRAIN_DIR = Path("/usr/lib/sphinxtrain")
LOGBASE = 1.0001                                  # pocketsphinx's -logbase default
SENSCR_SHIFT = 10                                 # sendump holds -log(p) >> 10, 8 bits
METHODS = ("mllr", "map", "cmn")
"""mllr: global MLLR mean transform; map: MAP-adapted model; cmn: the enrollment cepstral
mean only (no model change; the control condition)."""
DEFAULT_METHODS = ("map", "mllr", "cmn")
"""What `copilot listen enroll` estimates; the first is used when decoding."""
_FE_KEYS = ("lowerf", "upperf", "nfilt", "transform", "lifter", "remove_noise")
_APT_HINT = "apt-get install sphinxtrain sphinxbase-utils pocketsphinx"


@dataclass(frozen=True)
class Utterance:
    name: str
    wav: bytes
    text: str


@dataclass(frozen=True)
class Profile:
    path: Path
    method: str
    utterances: int
    failed: int


def _tool(name: str) -> str:
    for cand in (SPHINXTRAIN_DIR / name, shutil.which(name)):
        if cand and Path(cand).exists():
            return str(cand)
    raise EnrollError(f"enrollment needs {name!r}, which is not installed ({_APT_HINT})")


def _run(args: list[str], what: str, hint: str = "") -> str:
    proc = subprocess.run(args, capture_output=True, text=True, errors="replace")
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(out.strip().splitlines()[-3:])
        raise EnrollError(f"{what} failed (exit {proc.returncode})"
                          f"{': ' + hint if hint else ''}\n{tail}")
    return out


def dictionary() -> Path:
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"


def _write_s3(path: Path, arr: np.ndarray) -> None:
    """A sphinx3 binary parameter file: header, byte-order magic, dims, count, float32 data."""
    with path.open("wb") as f:
        f.write(b"s3\nversion 1.0\nendhdr\n")
        f.write(struct.pack("<I", 0x11223344))
        f.write(struct.pack(f"<{arr.ndim}i", *arr.shape))
        f.write(struct.pack("<i", arr.size))
        f.write(arr.astype("<f4").tobytes())


def sendump_to_mixw(sendump: Path) -> np.ndarray:
    """Mixture weights [senone, stream, density] from the quantised sendump."""
    b = sendump.read_bytes()
    off = 0

    def i32() -> int:
        nonlocal off
        v = int(struct.unpack_from("<i", b, off)[0])
        off += 4
        return v

    n_feat, n_clust = 1, 0
    for _ in range(2):                            # title, header
        n = i32()
        off += n
    while (n := i32()) != 0:
        line = b[off:off + n].rstrip(b"\0").decode("ascii", "replace")
        off += n
        if line.startswith("feature_count "):
            n_feat = int(line.split()[1])
        elif line.startswith("cluster_count "):
            n_clust = int(line.split()[1])
    if n_clust:
        raise EnrollError(f"{sendump}: clustered sendump (cluster_count {n_clust}) unsupported")
    n_dens, n_sen = i32(), i32()
    q = np.frombuffer(b, dtype=np.uint8, count=n_feat * n_dens * n_sen, offset=off)
    q = q.reshape(n_feat, n_dens, n_sen).astype(np.float64)
    p = np.exp(-q * (1 << SENSCR_SHIFT) * np.log(LOGBASE))
    p /= p.sum(axis=1, keepdims=True)
    return np.transpose(p, (2, 0, 1)).astype(np.float32)


def base_model() -> Path:
    """The bundled model plus a text mdef and float mixture weights (cached)."""
    from copilot.speech.grammar import cache_dir

    src = model_dir()
    out = cache_dir() / "adapt-base"
    if (out / "mixture_weights").exists() and (out / "mdef.txt").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        t = Path(tmp)
        _run([_tool("pocketsphinx_mdef_convert"), "-text", str(src / "mdef"),
              str(t / "mdef.txt")], "converting the model definition to text")
        _write_s3(t / "mixture_weights", sendump_to_mixw(src / "sendump"))
        for name in ("mdef.txt", "mixture_weights"):
            (t / name).replace(out / name)
    return out


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split()


def load_enrollment(src: Path) -> list[Utterance]:
    """Recordings and their transcripts from a directory (`name.wav` + `name.txt`) or a JSONL
    manifest ({"wav": path, "text": ...}, paths relative to the manifest)."""
    pairs: list[tuple[Path, str]] = []
    if src.is_dir():
        for wav in sorted(src.glob("*.wav")):
            txt = wav.with_suffix(".txt")
            if not txt.exists():
                raise EnrollError(f"{wav}: no transcript {txt.name} next to it")
            pairs.append((wav, txt.read_text(encoding="utf-8").strip()))
    elif src.is_file():
        for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                pairs.append(((src.parent / obj["wav"]), str(obj["text"])))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise EnrollError(f"{src}:{n}: needs {{\"wav\": ..., \"text\": ...}} "
                                  f"({exc})") from exc
    else:
        raise EnrollError(f"{src}: no such directory or manifest")
    if len(pairs) < MIN_UTTERANCES:
        raise EnrollError(f"{src}: {len(pairs)} recordings; enrollment needs at least "
                          f"{MIN_UTTERANCES} (read the prompts in eval/enroll/prompts.txt)")
    out: list[Utterance] = []
    for wav, text in pairs:
        try:
            data = wav.read_bytes()
        except OSError as exc:
            raise EnrollError(f"{wav}: unreadable ({exc})") from exc
        out.append(Utterance(wav.stem, data, text))
    return out


def _check(utts: list[Utterance], work: Path) -> list[tuple[str, str]]:
    """Write 16 kHz WAVs into `work`; refuse bad audio, silence and unknown words."""
    from copilot.speech.audio import SILENCE_RMS, AudioError, read_wav

    known = {line.split(" ", 1)[0].split("(", 1)[0]
             for line in dictionary().read_text(encoding="utf-8", errors="replace").splitlines()}
    rows: list[tuple[str, str]] = []
    for i, u in enumerate(utts):
        try:
            pcm = read_wav(u.wav)
        except AudioError as exc:
            raise EnrollError(f"{u.name}: {exc.reason}: {exc.detail}") from exc
        if pcm.rms() < SILENCE_RMS:
            raise EnrollError(f"{u.name}: silence (nothing was said)")
        words = _words(u.text)
        if not words:
            raise EnrollError(f"{u.name}: empty transcript")
        unknown = [w for w in words if w not in known]
        if unknown:
            raise EnrollError(f"{u.name}: words not in the recogniser's dictionary: "
                              f"{', '.join(unknown)}")
        fid = f"u{i:03d}"
        with wave.open(str(work / f"{fid}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(pcm.samples.astype("<i2").tobytes())
        rows.append((fid, " ".join(words)))
    return rows


def _fe_args(src: Path) -> list[str]:
    params = (src / "feat.params").read_text(encoding="utf-8").split()
    args: list[str] = []
    for key, val in zip(params[::2], params[1::2], strict=False):
        if key.lstrip("-") in _FE_KEYS:
            args += [key, val]
    return args


def _features(rows: list[tuple[str, str]], work: Path) -> None:
    (work / "fileids").write_text("".join(f"{fid}\n" for fid, _ in rows), encoding="utf-8")
    (work / "transcription").write_text(
        "".join(f"<s> {text} </s> ({fid})\n" for fid, text in rows), encoding="utf-8")
    _run([_tool("sphinx_fe"), *_fe_args(model_dir()), "-remove_silence", "no",
          "-samprate", "16000", "-c", str(work / "fileids"), "-di", str(work), "-do", str(work),
          "-ei", "wav", "-eo", "mfc", "-mswav", "yes"], "feature extraction (sphinx_fe)")


def _bw(base: Path, params: Path, work: Path, accum: Path) -> int:
    """bw statistics of the features in `work` against the model whose means, variances and
    mixture weights are in `params`, into `accum`; returns how many recordings failed."""
    src = model_dir()
    accum.mkdir(exist_ok=True)
    mixw = params / "mixture_weights" if (params / "mixture_weights").exists() else (
        base / "mixture_weights")
    out = _run([_tool("bw"), "-moddeffn", str(base / "mdef.txt"), "-ts2cbfn", ".ptm.",
                "-meanfn", str(params / "means"), "-varfn", str(params / "variances"),
                "-mixwfn", str(mixw), "-tmatfn", str(src / "transition_matrices"),
                "-feat", "1s_c_d_dd", "-svspec", "0-12/13-25/26-38", "-cmn", "batch",
                "-agc", "none", "-dictfn", str(dictionary()), "-fdictfn", str(src / "noisedict"),
                "-ctlfn", str(work / "fileids"), "-lsnfn", str(work / "transcription"),
                "-cepdir", str(work), "-accumdir", str(accum),
                # Wider beams: a synthetic or accented voice is far from the model, and the
                # default 1e-100 loses a third of correct recordings to pruning (1e-200
                # keeps all but about a quarter; much wider underflows inside bw).
                "-abeam", "1e-200", "-bbeam", "1e-200"], "statistics (bw)",
               hint="the recordings probably do not match their transcripts")
    (accum / "bw.log").write_text(out, encoding="utf-8")
    return len(re.findall(r"final state not reached|not reachable|Failed to align", out))


def _map(base: Path, accum: Path, m: Path) -> None:
    """MAP-adapt the bundled model (the prior) with the statistics in `accum` into `m`."""
    src = model_dir()
    m.mkdir(parents=True, exist_ok=True)
    for name in ("mdef", "feat.params", "noisedict", "transition_matrices"):
        shutil.copy2(src / name, m / name)
    _run([_tool("map_adapt"), "-moddeffn", str(base / "mdef.txt"), "-ts2cbfn", ".ptm.",
          "-meanfn", str(src / "means"), "-varfn", str(src / "variances"),
          "-mixwfn", str(base / "mixture_weights"),
          "-tmatfn", str(src / "transition_matrices"), "-accumdir", str(accum),
          "-mapmeanfn", str(m / "means"), "-mapvarfn", str(m / "variances"),
          "-mapmixwfn", str(m / "mixture_weights"),
          "-maptmatfn", str(m / "transition_matrices.map")], "MAP adaptation (map_adapt)")
    (m / "transition_matrices.map").unlink(missing_ok=True)


def enroll(src: Path, out: Path, methods: tuple[str, ...] = DEFAULT_METHODS,
           passes: int = PASSES) -> Profile:
    """Estimate a driver profile from enrollment recordings into `out` (created/replaced)."""
    utts = load_enrollment(src)
    return enroll_utterances(utts, out, methods, passes)


def enroll_utterances(utts: list[Utterance], out: Path,
                      methods: tuple[str, ...] = DEFAULT_METHODS,
                      passes: int = PASSES) -> Profile:
    if len(utts) < MIN_UTTERANCES:
        raise EnrollError(f"{len(utts)} recordings; enrollment needs at least {MIN_UTTERANCES}")
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise EnrollError(f"unknown adaptation method {bad}; choose from {', '.join(METHODS)}")
    base = base_model()
    src = model_dir()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="enroll-", delete=True) as tmp:
        work = Path(tmp)
        rows = _check(utts, work)
        _features(rows, work)
        accum = work / "accum0"
        failed = _bw(base, src, work, accum)
        if failed > MAX_FAILED_SHARE * len(rows):
            raise EnrollError(f"{failed} of {len(rows)} recordings do not match their "
                              f"transcripts (forced alignment failed); re-record them "
                              f"reading the prompt exactly")
        # Later passes align with the adapted model (fewer recordings lost, sharper
        # statistics); the prior stays the bundled model.
        for i in range(1, passes):
            _map(base, accum, work / f"map{i}")
            accum = work / f"accum{i}"
            failed = _bw(base, work / f"map{i}", work, accum)
        stage = Path(tempfile.mkdtemp(prefix=".profile-", dir=out.parent))
        if "mllr" in methods:
            _run([_tool("mllr_solve"), "-meanfn", str(src / "means"), "-varfn",
                  str(src / "variances"), "-outmllrfn", str(stage / "mllr_matrix"),
                  "-accumdir", str(accum)], "MLLR estimation (mllr_solve)")
        if "map" in methods:
            _map(base, accum, stage / "map")
        meta = {"version": 1, "methods": list(methods), "utterances": len(rows),
                "failed_alignment": failed, "passes": passes, "model": str(src)}
        (stage / "profile.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        _write_cmn(stage, [work / f"{fid}.wav" for fid, _ in rows])
        if out.exists():
            shutil.rmtree(out)
        stage.replace(out)
    # A new profile starts from its enrollment means, not from a previous profile's drives,
    # and a recogniser already loaded with the old profile at this path is dropped.
    from copilot.speech.engines import cmn_path, forget

    cmn_path(out).unlink(missing_ok=True)
    forget(out)
    log.info("enrolled %s from %d recordings (%d failed alignment)", out, len(rows), failed)
    return Profile(out, methods[0], len(rows), failed)


def _write_cmn(stage: Path, wavs: list[Path]) -> None:
    """The driver's cepstral mean from the enrollment audio, as the decoder keeps it."""
    import pocketsphinx

    # Any search will do: only the front end matters here; a keyphrase loads instantly.
    dec = pocketsphinx.Decoder(samprate=16000, loglevel="FATAL", keyphrase="go")
    for w in wavs:
        with wave.open(str(w)) as f:
            dec.start_utt()
            dec.process_raw(f.readframes(f.getnframes()), False, True)
            dec.end_utt()
    (stage / "cmn.txt").write_text(str(dec.get_cmn(False)), encoding="utf-8")
