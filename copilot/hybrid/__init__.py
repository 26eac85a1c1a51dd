"""Hybrid edge-cloud: the device answers every turn; the cloud is asked when it pays.

- `policy`: the pure decision (device or cloud, and why)
- `problem`: the redacted planning problem and the per-request plan schema
- `cloud_client`: OpenAI-compatible `POST URL/chat/completions` with hard deadlines
- `cloud_server`: `copilot cloud serve` (llama-cpp-python's server, json_schema support)
- `link`: the link emulator (TCP proxy with good / degraded / none profiles, byte counters)
- `onboard`: candidates and re-routing on the device's own map for a cloud plan
- `offload`: the hook `Copilot` calls after the device answer; `build_offload(...)`
- `metrics`: device share, bytes, tokens, cost per 1,000 turns, latency by path
"""

from __future__ import annotations

from typing import Any


def build_offload(*args: Any, **kwargs: Any) -> Any:
    """See `copilot.hybrid.offload.build_offload` (imported lazily: httpx stays off fast paths)."""
    from copilot.hybrid.offload import build_offload as build

    return build(*args, **kwargs)
