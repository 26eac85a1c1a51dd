"""Driver enrollment profiles at decode time: read, check, and turn into decoder options.

A profile directory (written by `copilot.speech.adapt`) holds `profile.json`, `mllr_matrix`
and/or a MAP-adapted model `map/`, and `cmn.txt`. Damaged files are refused here, before
PocketSphinx sees them: it ends the process on a malformed model file instead of raising.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)


class EnrollError(ValueError):
    """Enrollment input or tools that cannot give a profile; the message says what to fix."""


def model_dir() -> Path:
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us" / "en-us"


def read_profile(path: Path) -> dict[str, object]:
    """The profile's metadata; a clear error when `path` is not a profile."""
    meta = path / "profile.json"
    if not meta.exists():
        raise EnrollError(f"{path}: not an enrollment profile (no profile.json); "
                          f"make one with `copilot listen enroll`")
    try:
        obj = json.loads(meta.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise EnrollError(f"{meta}: corrupt ({exc.msg})") from exc
    if not isinstance(obj, dict):
        raise EnrollError(f"{meta}: corrupt")
    return obj


def decoder_options(path: Path, method: str | None = None) -> tuple[dict[str, object], str]:
    """pocketsphinx.Decoder keyword arguments applying a profile, and its initial CMN."""
    meta = read_profile(path)
    listed = meta.get("methods")
    methods = [str(m) for m in listed] if isinstance(listed, list) else []
    method = method or (methods[0] if methods else None)
    _validate(path, method)
    opts: dict[str, object] = {}
    if method == "mllr" and (path / "mllr_matrix").exists():
        opts["mllr"] = str(path / "mllr_matrix")
    elif method == "map" and (path / "map" / "means").exists():
        opts.update(hmm=str(path / "map"), mixw=str(path / "map" / "mixture_weights"))
    elif method == "cmn" and (path / "cmn.txt").exists():
        pass
    else:
        raise EnrollError(f"{path}: profile has no {method!r} adaptation "
                          f"(has {', '.join(methods) or 'none'})")
    cmn = path / "cmn.txt"
    return opts, cmn.read_text(encoding="utf-8").strip() if cmn.exists() else ""


def _validate(path: Path, method: str | None) -> None:
    """Refuse damaged profile files before the decoder sees them: PocketSphinx ends the
    process on a malformed model file instead of raising."""
    src = model_dir()
    problem = ""
    if method == "map":
        for name in ("means", "variances"):
            f = path / "map" / name
            if not f.exists() or f.stat().st_size != (src / name).stat().st_size \
                    or f.read_bytes()[:3] != b"s3\n":
                problem = f"map/{name} is damaged"
        f = path / "map" / "mixture_weights"
        if not f.exists() or f.read_bytes()[:3] != b"s3\n":
            problem = "map/mixture_weights is damaged"
    elif method == "mllr" and (path / "mllr_matrix").exists():
        try:
            vals = [float(x) for x in (path / "mllr_matrix").read_text().split()]
            n_class, n_stream = int(vals[0]), int(vals[1])
            # per class and stream: its length n, an n x n matrix, a shift and a scale vector
            i = 2
            for _ in range(n_class * n_stream):
                i += 1 + int(vals[i]) ** 2 + 2 * int(vals[i])
            if n_class < 1 or n_stream != 3 or i != len(vals):
                problem = "mllr_matrix has the wrong size"
        except (ValueError, IndexError, OSError):
            problem = "mllr_matrix is not a transform"
    if problem:
        raise EnrollError(f"{path}: {problem}; enroll again")
