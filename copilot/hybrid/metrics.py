"""Hybrid metrics: where turns were served, what the cloud cost, and how long each path took.

One record per turn. The summary is what `copilot bench hybrid` prints: the share of turns
answered on the device, bytes sent to the cloud, cloud tokens and an estimated cost per 1,000
turns, and median latency by path (device only, cloud used, cloud tried but device answered).
"""

from __future__ import annotations

import statistics
import threading
from collections import Counter
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

PRICE_IN_USD_PER_MTOK = 0.10
PRICE_OUT_USD_PER_MTOK = 0.40
"""Default estimate: a small hosted open-weights model (order of magnitude of 2025 list prices
for 1-8B models). Override with the real contract price."""


@dataclass(frozen=True)
class TurnRecord:
    served_by: str
    why: str
    latency_ms: float
    cloud_tried: bool = False
    bytes_up: int = 0
    bytes_down: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    plan_changed: bool = False
    """The cloud's plan differs from the device's (other places or another order)."""

    @property
    def path(self) -> str:
        if self.served_by == "cloud":
            return "cloud"
        return "device_after_cloud" if self.cloud_tried else "device"


class MetricsSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    turns: int
    device_share: float
    cloud_tried: int
    cloud_used: int
    cloud_changed_plan: int
    bytes_to_cloud: int
    bytes_from_cloud: int
    bytes_to_cloud_per_1000_turns: float
    cloud_tokens_per_1000_turns: float
    est_cost_usd_per_1000_turns: float
    latency_ms_median: dict[str, float]
    latency_ms_median_note: str = "medians by path: device, cloud, device_after_cloud"
    why: dict[str, int]


class HybridMetrics:
    """Thread-safe collector shared by the offload hook, the service and the benchmarks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[TurnRecord] = []

    def record(self, rec: TurnRecord) -> None:
        with self._lock:
            self._records.append(rec)

    @property
    def records(self) -> tuple[TurnRecord, ...]:
        with self._lock:
            return tuple(self._records)

    def summary(
        self,
        price_in_usd_per_mtok: float = PRICE_IN_USD_PER_MTOK,
        price_out_usd_per_mtok: float = PRICE_OUT_USD_PER_MTOK,
    ) -> MetricsSummary:
        recs = self.records
        n = len(recs)
        per_k = 1000.0 / n if n else 0.0
        tok_in = sum(r.prompt_tokens for r in recs)
        tok_out = sum(r.completion_tokens for r in recs)
        cost = (tok_in * price_in_usd_per_mtok + tok_out * price_out_usd_per_mtok) / 1e6
        by_path: dict[str, list[float]] = {}
        for r in recs:
            by_path.setdefault(r.path, []).append(r.latency_ms)
        up = sum(r.bytes_up for r in recs)
        return MetricsSummary(
            turns=n,
            device_share=round(sum(r.served_by == "device" for r in recs) / n, 3) if n else 0.0,
            cloud_tried=sum(r.cloud_tried for r in recs),
            cloud_used=sum(r.served_by == "cloud" for r in recs),
            cloud_changed_plan=sum(r.plan_changed for r in recs),
            bytes_to_cloud=up,
            bytes_from_cloud=sum(r.bytes_down for r in recs),
            bytes_to_cloud_per_1000_turns=round(up * per_k, 1),
            cloud_tokens_per_1000_turns=round((tok_in + tok_out) * per_k, 1),
            est_cost_usd_per_1000_turns=round(cost * per_k, 4),
            latency_ms_median={k: round(statistics.median(v), 1) for k, v in by_path.items()},
            why=dict(Counter(r.why for r in recs).most_common()),
        )
