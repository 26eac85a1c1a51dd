"""Give freed heap back to the system after a model has loaded.

Loading a model (vosk's graphs, llama.cpp, ONNX sessions) allocates and frees hundreds of MB
of temporary buffers; glibc keeps the freed pages in the process, so they stay in the
resident set although nothing uses them (measured by `copilot bench listen`: 50-130 MB
with every model loaded). `malloc_trim(0)` returns them. Elsewhere than glibc it is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from typing import Any

log = logging.getLogger(__name__)


@functools.cache
def _libc() -> Any | None:
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name or "libc.so.6")
        lib.malloc_trim.argtypes = [ctypes.c_size_t]
        return lib
    except (OSError, AttributeError):          # not glibc (musl, macOS): nothing to trim
        return None


def trim() -> bool:
    """Return the free heap pages to the system; True if any were released."""
    lib = _libc()
    if lib is None:
        return False
    return bool(lib.malloc_trim(0))
