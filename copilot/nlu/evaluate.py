"""Evaluation sets: command acceptance and per-field accuracy, with the misses listed.

A case is one JSON line: {"text", "intent", "destination", "stops", "arrive_by",
"flight_time"} where destination/stops/times default to null/[] (so leaving them out says
"none expected"). A stop's "order" and "exclude_brands" are scored only where a case gives
them, and so is `avoid` (route preferences). A command is accepted when the intent, the
destination and every stop (in order) are right. Names compare case-insensitively.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routing.messages import Understanding

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Case:
    text: str
    expect: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


def load_cases(path: Path) -> list[Case]:
    """Read a JSONL set; a bad line is an error naming the line (nothing is skipped)."""
    cases: list[Case] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        if not isinstance(obj, dict) or "intent" not in obj or not (
                "text" in obj or "wav" in obj):
            raise ValueError(f"{path}:{n}: needs 'text' (or 'wav') and 'intent'")
        cases.append(Case(str(obj.get("text", "")), obj, {k: v for k, v in obj.items()
                                                          if k not in _FIELDS}))
    if not cases:
        raise ValueError(f"{path}: no cases")
    return cases


_FIELDS = ("text", "intent", "destination", "stops", "arrive_by", "flight_time")


def name_key(name: str) -> str:
    """A free-text place name as the map search reads it: case, punctuation and a leading
    "the" do not change which place is found ("the Alamo" = "Alamo", "St. Louis Arch" = "st
    louis arch"), and neither does "in" / "at" before the town ("Tractor Supply in Norfolk" =
    "Tractor Supply, Norfolk"), so the scorer does not count them as a different place."""
    words = re.findall(r"[a-z0-9]+", name.lower().replace("'", ""))
    if words[:1] == ["the"]:
        words = words[1:]
    # "Tractor Supply in Norfolk" = "Tractor Supply, Norfolk": a place and its town either way.
    return " ".join(w for k, w in enumerate(words) if not (k and w in ("in", "at")))


def _norm_place(p: dict[str, Any] | None) -> tuple[str | None, str | None, str | None] | None:
    if p is None:
        return None
    name = p.get("name")
    return (p.get("category"), (p.get("saved") or None), name_key(name) if name else None)


def _stop_key(s: dict[str, Any]) -> tuple[str | None, str | None, str | None] | None:
    return _norm_place(s)


def _stops_match(exp: list[dict[str, Any]], got: list[dict[str, Any]]) -> bool:
    if len(exp) != len(got):
        return False
    for e, g in zip(exp, got, strict=True):
        ek, gk = _stop_key(e), _stop_key(g)
        if ek is None or gk is None:
            return False
        # A brand stop may be given by category alone in a case: then the name is not scored.
        if ek[0] != gk[0] or ek[1] != gk[1] or (ek[2] is not None and ek[2] != gk[2]):
            return False
    return True


def _brand_key(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").split())


def _dest_match(exp: dict[str, Any] | None, got: dict[str, Any] | None) -> bool:
    if exp is None or got is None:
        return exp is got
    brand = got.get("brand")
    if brand and exp.get("name"):
        # A brand asked for is labelled either way: by its kind (the outside authors'
        # convention) or by its name ("take me to starbucks": {"name": "starbucks"}).
        return _brand_key(str(exp["name"])) == _brand_key(str(brand))
    return _norm_place(exp) == _norm_place(got)


def _order_key(order: dict[str, Any] | None) -> dict[str, Any] | None:
    """An order as the contract means it: "oat" and "oat milk", "dark" and "dark roast" are
    the same milk and roast (outside authors label either way; the copilot says the long one,
    ../shared/CONTRACT.md section 1); empty details are no details."""
    if not order:
        return None
    out = {k: v for k, v in order.items() if v is not None}
    for k, tail in (("milk", " milk"), ("roast", " roast")):
        if isinstance(out.get(k), str):
            out[k] = out[k].removesuffix(tail)
    return out or None


def _orders(stops: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    return [_order_key(s.get("order")) for s in stops]


@dataclass
class Report:
    total: int = 0
    accepted: int = 0
    field_right: Counter[str] = field(default_factory=Counter)
    field_total: Counter[str] = field(default_factory=Counter)
    misses: list[dict[str, Any]] = field(default_factory=list)
    sources: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "accepted": self.accepted,
                "acceptance": self.accepted / self.total if self.total else 0.0,
                "fields": {k: self.field_right[k] / self.field_total[k]
                           for k in sorted(self.field_total)},
                "sources": dict(self.sources), "misses": self.misses}


def score(cases: list[Case], results: list[Understanding]) -> Report:
    rep = Report()
    for case, res in zip(cases, results, strict=True):
        got = json.loads(res.model_dump_json())
        exp = case.expect
        checks: dict[str, bool] = {
            "intent": got["intent"] == exp["intent"],
            "destination": _dest_match(exp.get("destination"), got["destination"]),
            "stops": _stops_match(exp.get("stops") or [], got["stops"]),
            "arrive_by": got["arrive_by"] == exp.get("arrive_by"),
            "flight_time": got["flight_time"] == exp.get("flight_time"),
        }
        if "avoid" in exp:                       # scored where a case labels it
            checks["avoid"] = sorted(got["avoid"]) == sorted(exp["avoid"] or [])
        exp_stops = exp.get("stops") or []
        if any("order" in s for s in exp_stops):
            checks["order"] = checks["stops"] and _orders(exp_stops) == _orders(got["stops"])
        if any("exclude_brands" in s for s in exp_stops):
            checks["exclude_brands"] = checks["stops"] and [
                sorted(b.lower() for b in s.get("exclude_brands", [])) for s in exp_stops] == [
                sorted(b.lower() for b in s["exclude_brands"]) for s in got["stops"]]
        rep.total += 1
        rep.sources[got["source"]] += 1
        for k, ok in checks.items():
            rep.field_total[k] += 1
            rep.field_right[k] += ok
        accepted = checks["intent"] and checks["destination"] and checks["stops"]
        rep.accepted += accepted
        if not all(checks.values()):
            rep.misses.append({"text": case.text, "wrong": [k for k, ok in checks.items()
                                                            if not ok],
                               "expected": {k: exp.get(k) for k in _FIELDS if k != "text"},
                               "got": {k: got[k] for k in _FIELDS if k != "text"},
                               **case.extra})
    return rep


def is_held_out(path: Path) -> bool:
    """Whether `path` is one of the held-out sets listed in its folder's HELDOUT.md: their
    misses are never shown by default (model authors read only the scores)."""
    index = path.parent / "HELDOUT.md"
    try:
        text = index.read_text(encoding="utf-8")
    except OSError:
        return False
    listed = re.findall(r"^\|\s*`([^`]+)`\s*\|", text, flags=re.MULTILINE)
    return path.name in listed


def report_text(rep: Report, show_misses: int = 40) -> str:
    d = rep.as_dict()
    lines = [f"command acceptance: {rep.accepted}/{rep.total} = {100 * d['acceptance']:.1f}%",
             "per-field accuracy:"]
    for k, v in d["fields"].items():
        lines.append(f"  {k:<15} {100 * v:5.1f}%  ({rep.field_right[k]}/{rep.field_total[k]})")
    lines.append("answered by: " + ", ".join(f"{k} {v}" for k, v in sorted(rep.sources.items())))
    if rep.misses:
        lines.append(f"misses ({len(rep.misses)}, first {min(show_misses, len(rep.misses))}):")
        for m in rep.misses[:show_misses]:
            lines.append(f"  - {m['text']!r} wrong: {', '.join(m['wrong'])}")
            if "transcript" in m:
                lines.append(f"      heard:    {m['transcript']!r}")
            for k in m["wrong"]:
                if k in m["expected"]:
                    lines.append(f"      {k}: expected {json.dumps(m['expected'][k])} "
                                 f"got {json.dumps(m['got'][k])}")
    return "\n".join(lines)


def listen_eval(path: Path, engine: str, model_dir: Path | None, cache_dir: Path | None,
                understander: Any, grammar: bool | str = True,
                show_misses: int = 15) -> dict[str, Any]:
    """Synthesise (cached) and recognise the speech set, then score like `understand`."""
    from copilot.nlu.speechset import evaluate_speech

    return evaluate_speech(path, engine, model_dir, cache_dir, understander, grammar,
                           show_misses)
