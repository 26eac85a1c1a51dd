"""The Understander: sanitise, parse with the rules, ask the local LLM only when unsure.

Merge rule: the rules answer when their confidence reaches `LLM_THRESHOLD`. Otherwise the
LLM scores the intent labels (and, if no place was found, the category labels) by
likelihood; its answer replaces the rules' intent only when it is surer than the rules were,
and `source` says which path decided. Low confidence is passed on, never hidden: the dialog
turns it into `needs_clarification`.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from copilot.nlu.places import Mention
from copilot.nlu.rules import RuleParse, parse
from copilot.nlu.text import sanitise
from routing.messages import (
    Category,
    CategoryRef,
    Destination,
    Intent,
    NameRef,
    Order,
    SavedRef,
    StopRequest,
    Understanding,
)

if TYPE_CHECKING:
    from copilot.nlu.llm import LabelScorer

log = logging.getLogger(__name__)

LLM_THRESHOLD = 0.6
"""Rules at or above this confidence answer alone (no model is loaded)."""
BAD_INPUT_CONFIDENCE = 0.2


def _stop(m: Mention, order: Order | None) -> StopRequest:
    return StopRequest(category=Category(m.category) if m.category else None, saved=m.saved,
                       name=m.name, order=order, exclude_brands=tuple(m.exclude_brands))


def _destination(m: Mention | None) -> Destination | None:
    if m is None:
        return None
    if m.saved:
        return SavedRef(saved=m.saved)
    if m.name:
        return NameRef(name=m.name)
    if m.category:
        return CategoryRef(category=Category(m.category))
    return None


def to_understanding(text: str, p: RuleParse, error: str | None) -> Understanding:
    """A rule parse as the contract object."""
    stops = tuple(_stop(m, p.orders.get(id(m))) for m in p.stops)
    confidence = p.confidence if error is None else min(p.confidence, BAD_INPUT_CONFIDENCE)
    return Understanding(text=text, intent=Intent(p.intent), destination=_destination(
        p.destination), stops=stops, arrive_by=p.arrive_by, flight_time=p.flight_time,
        confidence=max(0.0, min(1.0, confidence)), source="rules", error=error)


class Understander:
    """Text -> `Understanding`. Never raises for any str; loads the LLM lazily, once."""

    def __init__(self, llm_model: Path | None = None, use_llm: bool = True) -> None:
        self.llm_model = llm_model
        self.use_llm = use_llm
        self._scorer: LabelScorer | None = None
        self._llm_failed = False
        self._lock = threading.Lock()

    def understand(self, text: str) -> Understanding:
        try:
            return self._understand(text)
        except Exception:                      # the last line of defence: never a traceback
            log.exception("understanding failed for %r", text[:80] if isinstance(text, str)
                          else type(text))
            clean = sanitise(text)
            return Understanding(text=clean.text, intent=Intent.OUT_OF_SCOPE, confidence=0.0,
                                 error="internal_error")

    def _understand(self, text: str) -> Understanding:
        clean = sanitise(text)
        if clean.error in ("empty", "not_text", "no_words", "not_english"):
            return Understanding(text=clean.text, intent=Intent.OUT_OF_SCOPE,
                                 confidence=0.0 if clean.error != "not_english" else 0.1,
                                 error=clean.error)
        p = parse(clean.text)
        result = to_understanding(clean.text, p, clean.error)
        if p.confidence >= LLM_THRESHOLD or not self.use_llm or clean.error:
            return result
        scorer = self._llm()
        if scorer is None:
            return result
        from copilot.nlu.llm import merge_with_llm
        return merge_with_llm(result, p, scorer)

    def _llm(self) -> LabelScorer | None:
        with self._lock:
            if self._scorer is None and not self._llm_failed:
                try:
                    from copilot.nlu.llm import LabelScorer
                    self._scorer = LabelScorer(self.llm_model)
                except Exception as exc:      # no model, no llama.cpp: rules answer alone
                    log.warning("local LLM unavailable (%s); rules only", exc)
                    self._llm_failed = True
            return self._scorer
