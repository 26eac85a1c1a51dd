"""Side-by-side evaluation of the understanding paths on sets nobody on the team tuned on.

    copilot eval understand --public ../shared/nlu-public [--modes rules,model,model+llm]

Per set and mode: intent accuracy, place-kind accuracy (category / saved / name of the
destination; see `public.py` for the mapping), the share of other-domain requests that would
move the car (navigate, add_stop, remove_stop, cancel), and how many questions (ask_eta,
find_place) came out as a route change. Sets: TOP's eval split and KVRET's dev split (never
trained on), the held-out fifth of Snips' training queries and of SLURP's dev split (never
trained on, see `public.held_out`), and the project's own eval/understand*.jsonl (the first
is trained on, so it is marked).
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.nlu.evaluate import load_cases, score
from copilot.nlu.model.public import (
    Labelled,
    held_out,
    read_kvret,
    read_slurp,
    read_snips,
    read_top,
)
from routing.messages import CategoryRef, Understanding

log = logging.getLogger(__name__)

MOVES = {"navigate", "add_stop", "remove_stop", "cancel"}
QUESTIONS = {"ask_eta", "find_place"}
ROOT = Path(__file__).resolve().parents[3]
OWN_SETS = ("understand.jsonl", "understand_heldout.jsonl", "understand_heldout2.jsonl",
            "typos_dev.jsonl")
NO_SPELLING = ":nospell"
"""Mode suffix ("model:nospell"): the same mode without typo correction, for a before/after."""
TRAINED_ON = {"understand.jsonl"}


def place_kind(u: Understanding) -> str | None:
    """The kind of the place asked for: the destination, or the first stop of an add_stop
    (KVRET counts "I need a rest stop" read as a stop as the place asked for)."""
    d = u.destination
    if d is None and u.intent.value == "add_stop" and u.stops:
        d = u.stops[0]
    if d is None:
        return None
    dump = d.model_dump(exclude_none=True)
    if "category" in dump:
        return f"category:{dump['category']}"
    return "saved" if "saved" in dump else "name"


def kind_matches(u: Understanding, gold: str) -> bool:
    """A brand asked for ("directions to Publix") carries its kind and its name: a label of
    either kind is met (TOP labels brands as names, our in-car sets by their kind)."""
    d = u.destination
    return place_kind(u) == gold or (isinstance(d, CategoryRef) and d.brand is not None
                                     and gold == "name")


@dataclass
class SetScore:
    n: int = 0
    intent_right: int = 0
    unsupported_n: int = 0
    unsupported_still: int = 0
    """TOP's "unsupported" rows: how many left the car alone."""
    kind_n: int = 0
    kind_right: int = 0
    moved: int = 0
    questions_moved: int = 0
    ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        mapped = self.n - self.unsupported_n
        return {"n": self.n, "intent": self.intent_right / mapped if mapped else None,
                "unsupported_n": self.unsupported_n,
                "unsupported_still": self.unsupported_still,
                "place_kind": self.kind_right / self.kind_n if self.kind_n else None,
                "place_kind_n": self.kind_n, "moved": self.moved,
                "questions_moved": self.questions_moved,
                "median_ms": statistics.median(self.ms) if self.ms else None,
                "misses": self.misses[:15]}


def _intent_ok(gold: str, got: Understanding, set_name: str) -> bool:
    if set_name == "kvret":                    # a place asked for: going there or looking
        return got.intent.value in ("navigate", "find_place", "add_stop")
    if gold in ("refused_harmful", "unsupported_service"):
        return got.intent.value == "out_of_scope"
    return got.intent.value == gold


def score_public(rows: list[Labelled], understand: Callable[[str], Understanding],
                 set_name: str, other_domain: bool) -> SetScore:
    s = SetScore()
    for r in rows:
        t0 = time.perf_counter()
        got = understand(r.text)
        s.ms.append(1000 * (time.perf_counter() - t0))
        s.n += 1
        if r.label == "unsupported":
            s.unsupported_n += 1
            s.unsupported_still += got.intent.value not in MOVES
            continue
        ok = _intent_ok(r.label, got, set_name)
        s.intent_right += ok
        if not ok:
            s.misses.append(f"{r.text!r}: {r.label} -> {got.intent.value}")
        moved = got.intent.value in MOVES
        if other_domain:
            s.moved += moved
        if r.label in QUESTIONS and moved:
            s.questions_moved += 1
        if r.place_kind is not None and r.label != "out_of_scope":
            s.kind_n += 1
            s.kind_right += kind_matches(got, r.place_kind)
    return s


def public_sets(public: Path) -> dict[str, tuple[list[Labelled], bool]]:
    """Set name -> (rows, other-domain?) for the files present in `public`."""
    sets: dict[str, tuple[list[Labelled], bool]] = {}
    if (public / "top_eval.tsv").exists():
        sets["top_eval"] = (list(read_top(public / "top_eval.tsv", compact=False)), False)
    if (public / "kvret_dev_public.json").exists():
        sets["kvret"] = (list(read_kvret(public / "kvret_dev_public.json")), False)
    if (public / "snips_train.tsv").exists():
        rows = [r for r in read_snips(public / "snips_train.tsv") if held_out(r.text)]
        sets["snips_heldout"] = (rows, True)
    if (public / "slurp_devel.jsonl").exists():
        # SLURP's other scenarios: not transport (its train times and traffic are ours).
        rows = [r for r in read_slurp(public / "slurp_devel.jsonl") if held_out(r.text)
                and r.label == "out_of_scope" and r.source != "slurp:transport"]
        sets["slurp_heldout_other"] = (rows, True)
    return sets


def run(public: Path | None, modes: list[str], own: bool = True,
        limit: int | None = None) -> dict[str, dict[str, Any]]:
    """Set -> mode -> scores. Each mode gets its own Understander (models load once)."""
    from copilot.nlu import Understander

    out: dict[str, dict[str, Any]] = {}
    understanders = {m: Understander(mode=m.removesuffix(NO_SPELLING),
                                     spelling=not m.endswith(NO_SPELLING)) for m in modes}
    sets = public_sets(public) if public is not None else {}
    for name, (rows, other) in sets.items():
        rows = rows[:limit] if limit else rows
        out[name] = {m: score_public(rows, u.understand, name, other).as_dict()
                     for m, u in understanders.items()}
    if own:
        for fname in OWN_SETS:
            path = ROOT / "eval" / fname
            if not path.exists():
                continue
            cases = load_cases(path)
            per: dict[str, Any] = {}
            for m, u in understanders.items():
                results = [u.understand(c.text) for c in cases]
                rep = score(cases, results).as_dict()
                moved = sum(1 for c, r in zip(cases, results, strict=True)
                            if c.expect["intent"] in QUESTIONS and r.intent.value in MOVES)
                per[m] = {"n": len(cases), "acceptance": rep["acceptance"],
                          "intent": rep["fields"].get("intent"), "questions_moved": moved}
            key = fname + (" (trained on)" if fname in TRAINED_ON else "")
            out[key] = per
    return out


def report_text(res: dict[str, dict[str, Any]]) -> str:
    lines: list[str] = []
    for name, per in res.items():
        lines.append(f"{name}:")
        for mode, d in per.items():
            parts = [f"n={d['n']}"]
            if d.get("unsupported_n"):
                parts = [f"n={d['n'] - d['unsupported_n']} mapped"]
            for k in ("acceptance", "intent", "place_kind"):
                if d.get(k) is not None:
                    parts.append(f"{k} {100 * d[k]:.1f}%")
            if d.get("place_kind_n"):
                parts[-1] += f" (of {d['place_kind_n']})"
            if d.get("moved"):
                parts.append(f"moved the car {d['moved']} ({100 * d['moved'] / d['n']:.1f}%)")
            elif "moved" in d and name.startswith(("snips", "slurp")):
                parts.append("moved the car 0")
            parts.append(f"questions->route {d['questions_moved']}")
            if d.get("unsupported_n"):
                parts.append(f"unsupported left the car alone {d['unsupported_still']}/"
                             f"{d['unsupported_n']}")
            if d.get("median_ms") is not None:
                parts.append(f"median {d['median_ms']:.2f} ms")
            lines.append(f"  {mode:<10} " + ", ".join(parts))
    return "\n".join(lines)


def misses_json(res: dict[str, dict[str, Any]]) -> str:
    return json.dumps({k: {m: d.get("misses", []) for m, d in v.items()} for k, v in
                       res.items()}, indent=1)
