"""Input hygiene and normalisation: what the parser may assume about its text.

`sanitise` turns any str into a bounded, printable utterance and names what was wrong with
it; `normalise` lower-cases, drops fillers and stutters, and splits into tokens. Nothing
here raises.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from copilot.nlu.ko.script import is_korean
from routing.messages import MAX_TEXT_CHARS

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_SPACES = re.compile(r"\s+")
# Fillers dropped wherever they occur; "like" only where it is not a verb ("i'd like").
_FILLERS = {"uh", "uhh", "uhm", "um", "umm", "er", "erm", "hmm", "hm", "ah", "ahh", "eh", "mm",
            "please", "pls", "hey", "yo", "basically", "literally", "just",
            "really", "kindly", "maybe", "possibly", "quickly", "real"}
_FILLER_PHRASES = [("you", "know"), ("i", "guess"), ("kind", "of"), ("sort", "of"),
                   ("hey", "copilot"), ("ok", "copilot"), ("okay", "copilot"), ("copilot",),
                   ("if", "you", "can"), ("if", "possible"), ("for", "me"), ("thank", "you"),
                   ("thanks",), ("right", "now"), ("real", "quick"), ("as", "well")]
_IS_CONTRACTIONS = {"flight's", "plane's", "train's", "meeting's", "appointment's",
                    "tank's", "battery's"}
_LEADING = {",", "ok", "okay", "so", "well", "alright", "right", "and", "oh", "now", "hi"}
_LIKE_KEEP_BEFORE = {"i'd", "would", "i", "we'd", "we", "feel", "you'd", "looks", "look",
                     "something", "sounds", "anything", "places"}
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_FAMILY_POSSESSIVE = {"moms": "mom's", "mums": "mom's", "mum's": "mom's", "mother's": "mom's",
                      "dads": "dad's", "father's": "dad's", "grandmas": "grandma's",
                      "grandpas": "grandpa's", "sisters": "sister's", "brothers": "brother's",
                      "parents": "parents'", "parents's": "parents'", "aunts": "aunt's",
                      "uncles": "uncle's", "inlaws": "in-laws'", "friends": "friend's"}

# Contractions a recogniser or a phone writes without the apostrophe ("dont", "isnt",
# "whats"): the rules' patterns are written with it. Only forms that are no other word
# ("its", "ill", "were", "well", "hes" stay as they are).
_NO_APOSTROPHE = {"dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "isnt": "isn't",
                  "arent": "aren't", "wasnt": "wasn't", "cant": "can't", "couldnt": "couldn't",
                  "wouldnt": "wouldn't", "shouldnt": "shouldn't", "wont": "won't",
                  "im": "i'm", "ive": "i've", "youre": "you're", "theyre": "they're",
                  "weve": "we've", "shes": "she's", "havent": "haven't", "hasnt": "hasn't"}

# After these the plural is people, not their house ("we're meeting friends at the Bean",
# "with my sisters"); "to my sisters" stays "my sister's".
_PEOPLE_BEFORE = {"meeting", "meet", "seeing", "with", "and", "the", "pick", "picking",
                  "collect", "collecting", "bring", "bringing", "call", "text", "tell"}


@dataclass(frozen=True)
class Sanitised:
    text: str
    """What `Understanding.text` carries: bounded, printable."""
    error: str | None
    """Short code of what was wrong: empty, too_long, control_chars, not_english, no_words."""
    language: str = "en"
    """The turn's language from its script: "ko" for Hangul (see copilot.nlu.ko.script)."""


def _latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    latin = sum(1 for c in letters if c.isascii() or unicodedata.name(c, "").startswith("LATIN"))
    return latin / len(letters)


def sanitise(raw: object) -> Sanitised:
    """Any input -> a bounded printable utterance and an error code (or None)."""
    if not isinstance(raw, str):
        return Sanitised("", "not_text")
    error: str | None = None
    text = raw
    if _CONTROL.search(text):
        text = _CONTROL.sub(" ", text)
        error = "control_chars"
    # Surrogates and other unencodable code points would break JSON output downstream.
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _SPACES.sub(" ", text).strip()
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS].rstrip()
        error = "too_long"
    if not text:
        return Sanitised("", error or "empty")
    if not any(c.isalnum() for c in text):
        return Sanitised(text, error or "no_words")
    if is_korean(text):
        return Sanitised(text, error, language="ko")
    if _latin_share(text) < 0.5:           # a language the copilot does not understand
        return Sanitised(text, error or "not_english")
    return Sanitised(text, error)


def normalise(text: str) -> list[str]:
    """Lower-case tokens without punctuation, fillers or stutters; apostrophes kept."""
    # "the nearest ER": said in capitals it is the emergency room, not the filler "er".
    t = re.sub(r"\bE\.?R\b\.?", "emergency room", text.translate(_APOSTROPHES)).lower()
    t = re.sub(r"(\d)\s*:\s*(\d\d)", r"\1:\2", t)        # "6 : 45" -> "6:45"
    t = re.sub(r"(\d)\s*(a\.?m\.?|p\.?m\.?)(?=\W|$)", r"\1 \2", t)
    t = re.sub(r"\ba\.m\.?|\ba m\b", "am", t)
    t = re.sub(r"\bp\.m\.?|\bp m\b", "pm", t)
    t = t.replace("&", " and ").replace("%", " percent")
    # "St. Mary's", "Dr. Patel": an abbreviation's full stop is no clause break.
    t = re.sub(r"\b(st|mt|ft|pt|dr)\.(?=\s+[a-z])", r"\1", t)
    t = re.sub(r"[^\w':/\-\s]", " , ", t)                # punctuation becomes a clause break
    t = re.sub(r"(?<!\w)'|'(?!\w|\s|$)", " ", t)
    raw = [w.strip("-") for w in t.replace("/", " ").split()]
    words: list[str] = []
    for w in raw:
        if not w:
            continue
        if w.endswith("'") and w[:-1] not in ("parents", "kids"):
            w = w[:-1]
        w = _NO_APOSTROPHE.get(w, w)
        if not (words and words[-1] in _PEOPLE_BEFORE):
            w = _FAMILY_POSSESSIVE.get(w, w)
        if w in _IS_CONTRACTIONS:                          # "my flight's at 6" -> "flight is"
            words.extend((w[:-2], "is"))
            continue
        words.append(w)
    words = _drop_filler_phrases(words)
    out: list[str] = []
    for i, w in enumerate(words):
        if w in _FILLERS:
            continue
        if w == "like" and (i == 0 or words[i - 1] not in _LIKE_KEEP_BEFORE):
            continue
        if out and w == out[-1] and w not in {",", "very"} and not (
                w == "medium" and words[i + 1:i + 2] == ["roast"]):
            continue      # "to to the airport"; but "a medium medium roast" is a size and a roast
        out.append(w)
    while out and out[0] in _LEADING:
        out.pop(0)
    return out


def _drop_filler_phrases(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase in _FILLER_PHRASES:
            n = len(phrase)
            if tuple(words[i:i + n]) == phrase:
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out
