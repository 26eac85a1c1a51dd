"""Names said in capitals: runs of capitalised words are place names ("Capital City
Airport", "123 Main Street", "the Marriott Marquis"), ended by a clause break, "I'm" or a
lower-case word that is no part of a name ("Grand Canyon south rim" keeps its tail).

`rules.parse` takes these before the lexicon's places, so a brand inside a longer name is
the name's, and a chain's own name keeps the chain's kind.
"""

from __future__ import annotations

import logging
import re

from copilot.nlu.lexicon import lexicon
from copilot.nlu.places import Mention
from copilot.nlu.text import normalise

log = logging.getLogger(__name__)


_SMALL_WORDS = {"to", "the", "me", "a", "an", "at", "of", "for", "and", "my", "us", "in",
               "on", "by", "please", "is", "it"}
_OPENERS = {"destination", "navigate", "take", "go", "drive", "directions", "route", "head",
            "set", "find", "get", "please", "hey", "ok", "okay", "so", "um", "uh", "is", "are",
            "any", "can", "could", "how", "where", "what", "when", "will", "does", "do",
            # Commands and fillers that open a sentence ("Add Walgreens as a stop").
            "add", "put", "include", "remove", "drop", "skip", "cancel", "show", "let's",
            "plot", "bring", "swing", "pull", "stop", "grab", "pick", "yo", "hi", "hello",
            "actually", "alright", "also", "then", "now", "wait", "oh", "well", "yeah", "yes",
            "no", "nah", "ugh", "hmm", "first", "next", "locate", "search", "look"}
_NAME_JOINERS = {"of", "de", "del", "la", "du"}
# Lower-case words that finish a name ("Grand Canyon south rim", "Golden Gate Bridge
# viewpoint", "Seattle ferry terminal"): a part of the named place, not another place.
# A bare "terminal" stays the airport's ("JFK terminal 4"), a "bus terminal" the category's.
_NAME_TAILS = {"rim", "viewpoint", "overlook", "lookout", "trailhead", "entrance",
               "campground", "pier", "wharf", "boardwalk", "summit", "outlets", "marina",
               "courthouse", "library", "museum", "stadium", "arena", "theater", "theatre",
               "mall", "plaza", "campus", "ballpark", "fairgrounds", "zoo", "aquarium",
               "visitor center", "visitors center", "welcome center", "ferry terminal",
               "cruise terminal",
               # Work places named by what is there ("Miller Road substation", "Cedar Falls
               # water plant", "the Maplewood job site", "Dr. Patel's office").
               "office", "offices", "clinic", "substation", "plant", "water plant",
               "power plant", "treatment plant", "job site", "jobsite", "work site",
               "worksite", "construction site", "warehouse", "depot", "yard",
               "distribution center", "headquarters"}
_NAME_TAIL_LEADS = {"north", "south", "east", "west", "main", "upper", "lower", "visitor",
                    "visitors", "welcome", "ferry", "cruise", "water", "power", "treatment",
                    "job", "work", "construction", "distribution"}


def _name_tail(words: list[str], k: int) -> int:
    """How many words from words[k] finish the name before them (0 if none)."""
    for n in (1, 2, 3):
        chunk = [w.lower() for w in words[k:k + n]]
        if len(chunk) < n or any(not w.isalpha() for w in chunk):
            return 0
        if " ".join(chunk) in _NAME_TAILS or (chunk[-1] in _NAME_TAILS and all(
                w in _NAME_TAIL_LEADS for w in chunk[:-1])):
            return n
        if chunk[-1] not in _NAME_TAIL_LEADS:
            return 0
    return 0


_VENUES = {"center", "centre", "arena", "stadium", "field", "park", "theater", "theatre",
           "hall", "plaza", "tower", "building", "square", "amphitheater", "pavilion", "dome",
           "coliseum", "museum", "ballpark", "garden", "gardens"}
_I_FORMS = {"I", "I'm", "I'll", "I'd", "I've"}


def _title_case_everything(words: list[str]) -> bool:
    """ALL CAPS, or Title Case Everything: small words ("to", "the") capitalised after the
    first word too. A short request with a long name ("Go to the Broad Street Market") is
    mostly capitals and still a name."""
    if not any(w[0].islower() for w in words if w[0].isalpha()):
        return True
    return any(w[0].isupper() and w.lower() in _SMALL_WORDS for w in words[1:])


def proper_names(text: str, tokens: list[str], blocked: set[int]) -> list[Mention]:
    """Runs of capitalised words ("Capital City Airport", "123 Main Street") are names."""
    found = re.findall(r"(?:St|Mt|Ft|Pt|Dr)\.(?=\s+[A-Za-z])|[A-Za-z0-9][\w'&-]*|[,;!?]|\.(?!\w)",
                       text)
    # A clause break ends a name ("Hillcrest Church, I'm in the wedding party"): "|" marks it.
    words = ["|" if w in ",;!?." else w for w in found]
    if not [w for w in words if w != "|"] or _title_case_everything(
            [w for w in words if w != "|"]):
        return []
    lex = lexicon()
    runs: list[list[str]] = [[]]
    skip = 0
    for k, w in enumerate(words):
        if skip:
            skip -= 1
            continue
        if k == 0 and w.lower() in _OPENERS:
            continue                                      # "Destination York", "Navigate ..."
        if runs[-1] and w[0].islower() and (tail := _name_tail(words, k)) and tuple(
                normalise(" ".join(runs[-1]))) not in lex.places:
            runs[-1] += words[k:k + tail]                 # "... south rim"
            skip = tail - 1
            runs.append([])
            continue
        if w == "|":
            if runs[-1]:
                runs.append([])
            continue
        if (w[0].isupper() and w not in _I_FORMS) or (w.isdigit() and not runs[-1]):
            runs[-1].append(w)
        elif runs[-1] and w in _NAME_JOINERS and k + 1 < len(words) and \
                words[k + 1][0].isupper():
            runs[-1].append(w)                            # "Museum of Modern Art"
        elif runs[-1]:
            runs.append([])
    out: list[Mention] = []
    for run in runs:
        if len(run) < 2 or not any(c.isalpha() for c in run[-1]):
            continue
        run_tokens = [t for t in normalise(" ".join(run)) if t != ","]
        if tuple(run_tokens) in lex.places or not run_tokens:
            continue                                      # a brand the lexicon knows
        if any(tuple(run_tokens[:k]) in lex.brands and tuple(run_tokens[k:]) in lex.places
               for k in range(1, len(run_tokens))):
            continue                                      # "Chase ATM": a brand's kind
        n = len(run_tokens)
        # "the Marriott Marquis": a place of a chain the lexicon knows, by its own name; a
        # venue named after one ("Giant Center", "Wells Fargo Arena") is that venue.
        chain = None if run_tokens[-1] in _VENUES else next(
            (lex.brands[tuple(run_tokens[:k])] for k in range(n - 1, 0, -1)
             if tuple(run_tokens[:k]) in lex.brands), None)
        for i in range(len(tokens) - n + 1):
            if tokens[i:i + n] == run_tokens and not blocked & set(range(i, i + n)):
                out.append(Mention(i, i + n, name=" ".join(run)[:120]) if chain is None else
                           Mention(i, i + n, category=chain.category,
                                   name=" ".join(run_tokens)[:120]))
                break
    return out
