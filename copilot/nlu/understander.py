"""The Understander: sanitise, the learned model decides the intent, the rules find places.

Order of work for one utterance (see README.md beside this file for what each part adds):
1. `text.sanitise`: bad input gets its error code (empty, not_text, no_words, not_english
   stop here; too_long and control_chars are cleaned and still understood).
2. Typos of the copilot's own vocabulary are corrected (`spelling.correct`).
   The rules (`rules.parse`) find places, times, drink orders and write the skeleton.
3. The learned model (`model.infer`) scores the labels from words, characters and the
   skeleton. Its label decides (`source: "model"`); the rules split the places into
   destination and stops for that intent. refused_harmful and unsupported_service come out
   as out_of_scope with that `error` and no places.
4. `avoid` comes from the route-preference rules (`avoid.py`).
5. The local LLM is asked only in `mode="model+llm"` and only when the model is unsure.
If the weights cannot be loaded, the rules answer alone (`source: "rules"`), as before.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from copilot.nlu.avoid import avoid_in
from copilot.nlu.guards import RIDE_OR_DELIVERY, said
from copilot.nlu.model.features import rules_view
from copilot.nlu.overrule import MOVING, guarded_intent
from copilot.nlu.places import Mention
from copilot.nlu.rules import RuleParse, parse
from copilot.nlu.spelling import correct as correct_typos
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
from safety.request import harmful

if TYPE_CHECKING:
    from copilot.nlu.llm import LabelScorer
    from copilot.nlu.model.infer import IntentModel, Prediction
    from copilot.nlu.model.tagger import Tagger

log = logging.getLogger(__name__)

LLM_THRESHOLD = 0.6
"""Rules at or above this confidence answer alone (no model is loaded)."""
BAD_INPUT_CONFIDENCE = 0.2
MAX_WORD_CHARS = 40
"""Longer runs of letters are not words ("pneumonoultramicroscopicsilicovolcanoconiosis" is 45
and no driver says it)."""
MODEL_UNSURE = 0.5
"""In model+llm mode the LLM's intent votes are mixed in below this model probability."""
LLM_SHARE = 0.5
"""Weight of the LLM's intent distribution in that mixture."""
EXTRA_LABELS = ("refused_harmful", "unsupported_service")
EXTRA_MIN_PROB = 0.5
MODES = ("rules", "model", "model+llm", "rules+llm")
MOVE_SURE = 0.5
"""Least probability the moving labels must hold together for a route change; chosen on
eval/understand_heldout*.jsonl and unused TOP / Snips training rows (`hold_still_when_unsure`)."""
# "run me out to the feed store": driving there in this car, which the model reads as a ride
# service from the verb (it has seen "run" only in errands and other people's cars).
_RUN_ME_TO = re.compile(r"^(can you |could you |please )?run (me|us) (out |over |up |down |back )?"
                        r"to\b")
PLACE_INTENTS = ("navigate", "add_stop", "find_place", "ask_eta")
"""Intents whose places the tagger may re-assign (a question names the place asked about)."""


def hold_still_when_unsure(label: str, prob: float, scores: dict[str, float],
                           ) -> tuple[str, float]:
    """A route change only when the model is sure the utterance asks for one: if the
    labels that move the car hold less than MOVE_SURE of the probability, the best label
    that leaves the car alone wins (a question is answered, an unclear request is not
    acted on). Other-domain requests the model half-recognises ("can I have an espresso
    please", "book spot for two") are what this keeps off the route."""
    if label not in MOVING or sum(scores.get(k, 0.0) for k in MOVING) >= MOVE_SURE:
        return label, prob
    still = {k: v for k, v in scores.items() if k not in MOVING and k not in EXTRA_LABELS}
    still["out_of_scope"] = still.get("out_of_scope", 0.0) + sum(
        scores.get(k, 0.0) for k in EXTRA_LABELS)
    best = max(still, key=lambda k: still[k])
    return best, still[best]


def _stop(m: Mention, order: Order | None) -> StopRequest:
    return StopRequest(category=Category(m.category) if m.category else None, saved=m.saved,
                       name=m.name, order=order, exclude_brands=tuple(m.exclude_brands))


def _destination(m: Mention | None) -> Destination | None:
    if m is None:
        return None
    if m.saved:
        return SavedRef(saved=m.saved)
    if m.name and m.category:
        # A brand the lexicon knows ("the nearest Walgreens"): the kind, with the brand.
        return CategoryRef(category=Category(m.category), brand=m.name)
    if m.name:
        return NameRef(name=m.name)
    if m.category:
        return CategoryRef(category=Category(m.category))
    return None


UNTIMED = ("out_of_scope", "vehicle_control", "cancel", "remove_stop")
"""Intents with no trip to time: a clock said in them ("movie tickets for the 8 o'clock
show", "a table at Luigi's for 7:30") is no arrival or flight."""


def to_understanding(text: str, p: RuleParse, error: str | None) -> Understanding:
    """A rule parse as the contract object."""
    stops = tuple(_stop(m, p.orders.get(id(m))) for m in p.stops)
    confidence = p.confidence if error is None else min(p.confidence, BAD_INPUT_CONFIDENCE)
    timed = p.intent not in UNTIMED
    return Understanding(text=text, intent=Intent(p.intent), destination=_destination(
        p.destination), stops=stops, arrive_by=p.arrive_by if timed else None,
        flight_time=p.flight_time if timed else None,
        avoid=avoid_in(p.tokens), confidence=max(0.0, min(1.0, confidence)), source="rules",
        error=error)




class Understander:
    """Text -> `Understanding`. Never raises for any str; loads models lazily, once.

    `mode`: "model" (default: the learned model, rules for places), "model+llm" (the LLM's
    votes where the model is unsure), "rules" (rules alone), "rules+llm" (the previous path:
    rules, the LLM where the rules are unsure). `use_llm=False` turns the LLM modes off."""

    def __init__(self, llm_model: Path | None = None, use_llm: bool = True,
                 mode: str = "model", weights: Path | None = None,
                 spelling: bool = True) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.llm_model = llm_model
        self.use_llm = use_llm and mode.endswith("+llm")
        self.mode = mode
        self.weights = weights
        self.spelling = spelling
        """Correct typos of the copilot's vocabulary first (`spelling.py`); off only to
        measure what the correction adds."""
        self._scorer: LabelScorer | None = None
        self._llm_failed = False
        self._model: IntentModel | None = None
        self._model_failed = mode.startswith("rules")
        self._tagger: Tagger | None = None
        self._tagger_failed = mode.startswith("rules")
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
        if clean.error in ("empty", "not_text", "no_words", "not_english") or not any(
                c.isalnum() for w in clean.text.split() if len(w) <= MAX_WORD_CHARS
                for c in w):
            # Nothing left once cleaned ("\x07\x07"), or no word a person says ("xxxx..."
            # ten thousand times): nothing to understand, whatever a model would guess.
            return Understanding(text=clean.text, intent=Intent.OUT_OF_SCOPE,
                                 confidence=0.0 if clean.error != "not_english" else 0.1,
                                 error=clean.error)
        if clean.language == "ko":              # Korean: its own model and parser, same output
            from copilot.nlu.ko.model import understand_korean

            return understand_korean(clean.text, clean.error,
                                     "rules" if self.mode.startswith("rules") else "combined")
        # Typos of the copilot's own words are fixed for the rules and the model alike; the
        # Understanding keeps the driver's text.
        fixed = correct_typos(clean.text) if self.spelling else clean.text
        # Sentence-final punctuation (Whisper ends every transcript with one) carries no
        # intent, and almost no training row has it: "Get me an Americano." must read as
        # "get me an americano" does.
        fixed = fixed.rstrip(" .!?;:") or fixed
        p = parse(fixed)
        model = self._intent_model()
        if model is None:
            return self._rules_path(fixed, p, clean.error).model_copy(
                update={"text": clean.text})
        pred = model.predict(fixed, rules_view(p.skeleton, p.intent, p.confidence))
        label, prob = pred.label, pred.probability
        if label in EXTRA_LABELS and prob < EXTRA_MIN_PROB:
            # A refusal or "I can't do that" only when the model is sure; else its best
            # contract intent ("a coffee within 5 miles, and a quick route too").
            label = max((k for k in pred.scores if k not in EXTRA_LABELS),
                        key=lambda k: pred.scores[k])
            prob = pred.scores[label]
        source = "model"
        if self.use_llm and prob < MODEL_UNSURE and not clean.error:
            first = label
            label, prob = self._second_opinion(fixed, pred)
            source = "model" if label == first else "local_llm"
        label, prob = hold_still_when_unsure(label, prob, pred.scores)
        result = self._from_label(fixed, p, label, prob, clean.error, source)
        return result if fixed == clean.text else result.model_copy(update={"text": clean.text})

    def _from_label(self, text: str, p: RuleParse, label: str, prob: float,
                    error: str | None, source: str = "model") -> Understanding:
        if label not in EXTRA_LABELS and harmful(text):
            label = "refused_harmful"            # the safety layer's phrases, said as its own
        if label not in EXTRA_LABELS and said(RIDE_OR_DELIVERY, p.tokens):
            label = "unsupported_service"        # "get me a lyft back to the hotel"
        elif label == "unsupported_service" and _RUN_ME_TO.match(" ".join(p.tokens)):
            label = "navigate"                   # "run me out to Hadley's": this car drives
        refused = label in EXTRA_LABELS
        intent = "out_of_scope" if refused else guarded_intent(label, text, p)
        agree = intent == p.intent
        if not agree:
            p = parse(text, intent)              # the places split for the model's intent
        tagger = self._place_tagger()
        if tagger is not None and intent in PLACE_INTENTS:
            from copilot.nlu.model.tagger import apply_spans
            p = apply_spans(p, tagger.spans(p.tokens, text), text)
        result = to_understanding(text, p, error)
        if (result.intent == Intent.ADD_STOP and not result.stops and result.destination is None
                and prob < MOVE_SURE):
            # An unsure stop with nothing to stop at ("i need a manger", "I give a 4 to 3
            # Willows"): nothing to act on, and the car stays as it is.
            result = result.model_copy(update={"intent": Intent.OUT_OF_SCOPE})
        confidence = max(prob, p.confidence) if agree else prob
        if intent == "navigate" and result.destination is None and not result.stops:
            confidence = min(confidence, 0.55)   # "take me there": where to is unknown
        if error is not None:
            confidence = min(confidence, BAD_INPUT_CONFIDENCE)
        update: dict[str, object] = {"source": source,
                                     "confidence": round(max(0.0, min(1.0, confidence)), 3)}
        if refused:
            update.update(destination=None, stops=(), avoid=(), error=error or label)
        return result.model_copy(update=update)

    def _rules_path(self, text: str, p: RuleParse, error: str | None) -> Understanding:
        result = to_understanding(text, p, error)
        if p.confidence >= LLM_THRESHOLD or not self.use_llm or error:
            return result
        scorer = self._llm()
        if scorer is None:
            return result
        from copilot.nlu.llm import merge_with_llm
        return merge_with_llm(result, p, scorer)

    def _second_opinion(self, text: str, pred: Prediction) -> tuple[str, float]:
        """Mix the LLM's nearest-template intent votes into an unsure model's scores."""
        scorer = self._llm()
        if scorer is None:
            return pred.label, pred.probability
        votes = scorer.intent(text)
        mixed = {k: (1 - LLM_SHARE) * v + LLM_SHARE * votes.get(k, 0.0)
                 for k, v in pred.scores.items()}
        best = max(mixed, key=lambda k: mixed[k])
        return best, mixed[best]

    def _intent_model(self) -> IntentModel | None:
        with self._lock:
            if self._model is None and not self._model_failed:
                try:
                    from copilot.nlu.model.infer import IntentModel
                    self._model = IntentModel(self.weights)
                except Exception as exc:      # no weights, no numpy: the rules answer alone
                    log.warning("understanding model unavailable (%s); rules only", exc)
                    self._model_failed = True
            return self._model

    def _place_tagger(self) -> Tagger | None:
        with self._lock:
            if self._tagger is None and not self._tagger_failed:
                try:
                    from copilot.nlu.model.tagger import Tagger
                    self._tagger = Tagger()
                except Exception as exc:      # no weights: the rules' roles stand
                    log.warning("place tagger unavailable (%s); rules' roles only", exc)
                    self._tagger_failed = True
            return self._tagger

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
