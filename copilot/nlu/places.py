"""Place mentions in an utterance: categories, brands, the driver's saved places and names.

Works on normalised tokens (see `text.normalise`). Saved places win when the driver says
"my" ("my dry cleaner" -> saved "dry cleaner"; "the dry cleaner" -> category dry_cleaning).
Brands said after a negation ("but not McDonald's") are exclusions, not stops.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from copilot.nlu.lexicon import STREET_SUFFIXES, lexicon, longest_match

log = logging.getLogger(__name__)

_FAMILY = {"mom's", "dad's", "grandma's", "grandpa's", "sister's", "brother's", "aunt's",
           "uncle's", "parents'", "in-laws'", "friend's", "granny's", "nana's", "son's",
           "daughter's", "cousin's", "girlfriend's", "boyfriend's", "wife's", "husband's",
           "grandparents'", "mom", "dad", "grandma"}
_HOUSE = {"house", "place", "home", "apartment", "condo", "flat"}
# Words that may end a "my ..." saved place ("my dry cleaner", "my kids' school").
_HEADS = {"house", "place", "home", "apartment", "office", "work", "job", "gym", "school",
          "dentist", "doctor", "doctor's", "cleaner", "cleaners", "barber", "barbershop",
          "hairdresser", "salon", "church", "daycare", "clinic", "vet", "mechanic", "garage",
          "bank", "pharmacy", "shop", "store", "cafe", "restaurant", "hotel", "studio", "club",
          "cabin", "spot", "diner", "bakery", "supermarket", "lawyer", "accountant", "therapist",
          "physio", "yoga", "warehouse", "unit", "cottage", "condo", "building", "parents'",
          "mom's", "dad's", "grandma's", "grandpa's", "chiropractor", "optometrist",
          "pediatrician", "orthodontist", "library", "university", "college", "campus",
          "stable", "barn", "farm", "pool", "laundromat", "pizzeria", "coffee", "market",
          "grocer", "pub", "bar", "park", "field", "court", "hospital", "airport"}
_SAVED_BARE = {"gym": "gym", "school": "school", "church": "church", "daycare": "daycare",
               "office": "work", "home": "home", "the office": "work", "work": "work",
               "the gym": "gym", "campus": "campus", "the kids' school": "kids' school",
               "kids' school": "kids' school", "the school": "school"}
_WORK_BEFORE = {"to", "toward", "towards", "at", "from", "via", "for", "head", "off", "by",
                "then", "finally"}
_BOUNDARY = {",", "and", "then", "but", "by", "before", "after", "on", "via", "first", "so",
             "because", "for", "with", "at", "to", "please", "instead", "also", "where", "since",
             "cause", "or", "while", "when", "until", "in", "we", "i", "if", "than", "from",
             "is", "it's", "that", "which", "who", "plus", "no", "not", "quickly", "asap",
             "now", "today", "tonight", "along", "near", "next", "around", "right", "without",
             "avoiding", "using", "through"}
_NAME_SKIP = {"the", "a", "an", "some", "that", "this", "nearest", "closest", "new", "old"}
_NOT_NAMES = {"there", "it", "here", "back", "them", "him", "her", "me", "us", "eat", "get",
              "grab", "pick", "stop", "see", "buy", "pay", "be", "make", "catch", "meet",
              "find", "have", "do", "fill", "sleep", "use", "go", "drive", "take", "work",
              "bed", "the", "a", "an", "my", "our", "your", "where", "what", "you", "this",
              "that", "pee", "wash", "charge", "drop", "know", "check", "avoid",
              "arrive", "land", "let", "sit", "leave", "start", "cancel", "add", "remove",
              "skip", "say", "call", "talk", "ask", "try", "turn", "open", "close", "set",
              "play", "rest", "change", "hurry", "swing", "head", "any", "something",
              "somewhere", "anything", "anywhere", "everything", "town", "the city", "way",
              "place", "some", "one", "two", "more", "less", "late", "early", "time", "sure",
              "tell", "show", "look", "search", "deposit", "mail", "ship", "post", "watch",
              "hit", "beat", "miss", "rush"}
# Pronouns are never a place name ("his train", "we'd be there by noon"); the tagger uses
# the same set for its free-text names.
PRONOUNS = {"his", "her", "hers", "their", "theirs", "them", "they", "we", "we'd", "we'll",
            "we're", "i", "i'd", "i'll", "you", "your", "he", "she", "it's"}
_NOT_NAMES |= PRONOUNS
_NAME_TRIGGERS = re.compile(
    r"\b(take|bring|drive|get|carry|send|navigate|directions|route|go|goin|going|head|"
    r"heading|drop (me|us)( off)?|let (me|us) (off|out)|way|trip|back|over|stop|stopping|"
    r"roads|road|streets|"
    r"swing|pull|visit|via|"
    r"destination is|pop|meet|pick (me|us) up|set destination|get there|way there|make it|"
    r"far( is it| away)?|long( is it)?|drive|ride|distance|miles|minutes|is it|roll|roll on|"
    r"point|pointing)( me| us)?( down| up| over| out| on| back)?$")
_NEGATORS = {"not", "no", "except", "avoid", "but", "without", "isn't", "aren't",
             "nothing", "never", "than"}


@dataclass
class Mention:
    start: int
    end: int
    category: str | None = None
    saved: str | None = None
    name: str | None = None
    excluded: bool = False
    exclude_brands: list[str] = field(default_factory=list)


def _canon_saved(words: list[str]) -> str:
    label = " ".join(words)
    if (words and words[-1] in ("cleaner", "cleaners")) or label in ("dry cleaning", "cleaning"):
        return "dry cleaner"
    if label in ("place", "house", "home", "apartment", "flat", "condo"):
        return "home"
    if label in ("office", "work", "job", "work place", "workplace"):
        return "work"
    if len(words) == 2 and words[0] in _FAMILY and words[1] in _HOUSE:
        return f"{words[0]} house" if words[1] in ("place", "home") else label
    if len(words) == 1 and words[0] in _FAMILY:
        w = words[0]                                      # "my mom" is "mom's house"
        return f"{w if w.endswith(("'s", "'")) else w + chr(39) + 's'} house"
    return label


# After a bare "mom's" these make the 's an "is" ("my wife's in labor", "mom's waiting"):
# no place at all. Anything else leaves it a house ("mom's on the way", "moms at 8").
_IS_AFTER_POSSESSIVE = {"in", "waiting", "sick", "coming", "going", "gonna", "not", "really",
                        "so", "very", "getting", "been", "having", "expecting", "pregnant",
                        "hungry", "tired", "asleep", "late", "already", "still", "about", "a",
                        "an", "the", "stuck", "hurt", "upset", "mad", "calling", "texting"}


_HOUSE_NEXT = {"please", "first", "now", "then", "real", "quick", "tonight", "today", "again",
               "instead", "too", "as", "after", "later", "afterwards", "off", "out", "from",
               "over", "up", "down", "place", "house", "she's", "he's", "they're", "she",
               "he", "they", "we're", "i'm", "it's", "we", "i", "this", "take", "takes",
               "by", "before", "if", "when", "around", "or", "for", "without", "via", "using",
               "avoiding"}


def _names_a_house(tokens: list[str], after: int) -> bool:
    """A bare family possessive ending at `after` is a house, not "<someone> is ..." and not
    "<someone>'s <thing>" ("my son's fever", "dad's car")."""
    if after >= len(tokens):
        return True
    nxt = tokens[after]
    return nxt not in _IS_AFTER_POSSESSIVE and (nxt in _BOUNDARY or nxt in _HOUSE or
                                                nxt in _HOUSE_NEXT or nxt.isdigit())


def _my_saved(tokens: list[str], i: int) -> tuple[int, str] | None:
    """ "my" at tokens[i] followed by a place noun: (tokens used, label)."""
    words: list[str] = []
    best: tuple[int, str] | None = None
    if tokens[i + 1:i + 2] == ["way"]:
        return None                                       # "on my way home": not a label
    for j in range(i + 1, min(i + 5, len(tokens))):
        w = tokens[j]
        if w in _BOUNDARY and (w != "at" or best is not None):
            break                                         # "my mom at work": the mom
        words.append(w)
        if w in _HEADS or (w in _FAMILY and len(words) == 1 and (
                _names_a_house(tokens, j + 1))):
            best = (j + 1 - i, _canon_saved(words))
    return best


def _family_saved(tokens: list[str], i: int) -> tuple[int, str] | None:
    w = tokens[i]
    if w not in _FAMILY or w in ("mom", "dad", "grandma"):
        return None
    if i + 1 < len(tokens) and tokens[i + 1] in _HOUSE:
        return 2, _canon_saved([w, tokens[i + 1]])
    if w.endswith("'s") and not _names_a_house(tokens, i + 1):
        return None
    return 1, f"{w} house"


def _possessive_house(tokens: list[str], i: int) -> tuple[int, str] | None:
    w = tokens[i]
    if w.endswith("'s") and i + 1 < len(tokens) and tokens[i + 1] in _HOUSE and w not in _FAMILY:
        return 2, f"{w} house"
    return None


_HOUSE_NUMBER = re.compile(r"^\d{1,6}[a-z]?$")


def find_addresses(tokens: list[str], blocked: set[int], original: str) -> list[Mention]:
    """Street addresses ("1200 market street", "40 n 2nd st") as one named place, so a word
    inside them ("market", "park") is not read as a category or a stop of its own."""
    out: list[Mention] = []
    i = 0
    while i < len(tokens):
        if i in blocked or not _HOUSE_NUMBER.match(tokens[i]):
            i += 1
            continue
        end = next((k + 1 for k in range(i + 2, min(i + 6, len(tokens)))
                    if tokens[k] in STREET_SUFFIXES and k not in blocked), None)
        if end is None or any(t in _BOUNDARY - {"at", "on", "in"} for t in tokens[i + 1:end]):
            i += 1
            continue
        out.append(Mention(i, end, name=original_case(tokens[i:end], original)))
        i = end
    return out


# A place word naming a part of the car or a thing, not a place to go: "the parking brake",
# "cash for the parking meter", "my laptop charger", "the gas cap", "the charging port".
_PART_AFTER = {"parking": {"brake", "brakes", "meter", "meters", "pass", "ticket", "tickets",
                           "light", "lights", "sensor", "sensors", "camera", "assist", "mode",
                           "fine", "permit", "app"},
               # Not "light", "gauge" or "tank": "the gas light came on" asks for a station.
               "fuel": {"cap", "door", "flap", "pedal", "economy", "mileage"},
               "ev_charging": {"cable", "cord", "port", "flap", "door", "cap", "rate", "speed",
                               "limit"}}
_PART_BEFORE = {"ev_charging": {"laptop", "phone", "cell", "usb", "wall", "tablet", "watch",
                                "wireless"}}


_MEALS = {"lunch", "breakfast", "dinner", "brunch"}
_MONEY = {"cash", "money", "change", "quarters", "coins", "pay", "paying", "bills"}
_MEAL_PAST = {"skipped", "skip", "had", "ate", "eaten", "missed", "after", "since", "during",
              "by", "before", "till", "until"}     # "hit Omaha by dinner": a time of day
_HOME_WORDS = {"home", "house", "back", "office", "work", "place", "mom's", "dad's", "stuff",
               "something", "things", "groceries", "ingredients"}
_MEAL_EVENTS = {"meeting", "date", "reservation", "break", "appointment", "party", "shift",
                "rush", "crowd", "meeting's"}


def _a_part_not_a_place(tokens: list[str], start: int, end: int, category: str | None) -> bool:
    if category is None:
        return False
    after = tokens[end] if end < len(tokens) else ""
    before = tokens[start - 1] if start > 0 else ""
    if after in _PART_AFTER.get(category, ()) or before in _PART_BEFORE.get(category, ()):
        return True
    said = tokens[start:end]
    two_before = tokens[max(0, start - 2):start]
    if category == "restaurant" and said[-1] in _MEALS and (
            before in _MEAL_PAST or after in _MEAL_EVENTS or (before == "for" and two_before
                                                               and two_before[0] in _HOME_WORDS)):
        return True                      # "I skipped breakfast", "back home for lunch"
    if category == "fast_food" and said[0] == "drive" and (
            before in ("has", "with", "have") or two_before in (["has", "a"], ["with", "a"],
                                                               ["have", "a"])):
        return True                      # "a coffee place that has a drive thru": a feature
    if category == "parking" and before == "for" and two_before[0] in _MONEY:
        return True                      # "I need cash for parking": what the cash is for
    if category == "restroom" and said == ["pit", "stop"] and after == "for":
        return True                      # "a pit stop for coffee": the stop is the coffee
    # "avoid the highway, it's a parking lot this time of day": traffic, not a car park.
    return category == "parking" and said == ["parking", "lot"] and \
        two_before in (["it's", "a"], ["its", "a"], ["is", "a"], ["like", "a"])


def find_mentions(tokens: list[str], blocked: set[int]) -> list[Mention]:
    """Place mentions in spoken order; `blocked` token indexes (times, orders) are skipped."""
    lex = lexicon()
    out: list[Mention] = []
    i = 0
    while i < len(tokens):
        if i in blocked:
            i += 1
            continue
        w = tokens[i]
        hit: Mention | None = None
        if w == "my":
            m = _my_saved(tokens, i)
            if m:
                hit = Mention(i, i + m[0], saved=m[1])
                # "my dry cleaning" is the errand, not a saved place.
                if m[1] == "dry cleaner" and tokens[i + 1:i + 3] == ["dry", "cleaning"]:
                    hit = Mention(i, i + m[0], category="dry_cleaning")
        if hit is None and w in ("our",):
            m = _my_saved(tokens, i)
            if m:
                hit = Mention(i, i + m[0], saved=m[1])
        if hit is None:
            m = _family_saved(tokens, i) or _possessive_house(tokens, i)
            if m:
                hit = Mention(i, i + m[0], saved=m[1])
        if hit is None and tokens[i:i + 3] == ["the", "dry", "cleaner"]:
            # "the dry cleaner" (one, known) is the driver's own; "dry cleaners" and "the
            # cleaners" stay the category (eval/HELDOUT.md). With none saved, the dialog
            # searches the category.
            hit = Mention(i, i + 3, saved="dry cleaner")
        if hit is None and tokens[i:i + 2] == ["the", "house"] and i > 0 and tokens[i - 1] in (
                "to", "back", "towards", "toward", "for", "by", "past") and (
                i + 2 >= len(tokens) or (tokens[i + 2] in _BOUNDARY and tokens[i + 2] not in (
                    "on", "at", "in", "near", "by", "with", "next", "along", "around"))):
            # "head back to the house" is home; "the house on Elm" or "the house of blues" is not.
            hit = Mention(i, i + 2, saved="home")
        if hit is None:
            two = " ".join(tokens[i:i + 2])
            three = " ".join(tokens[i:i + 3])
            if three in _SAVED_BARE:
                hit = Mention(i, i + 3, saved=_SAVED_BARE[three])
            elif two in _SAVED_BARE:
                hit = Mention(i, i + 2, saved=_SAVED_BARE[two])
            elif w in _SAVED_BARE and (w != "work" or (i > 0 and tokens[i - 1] in _WORK_BEFORE)
                                       or len(tokens) == 1 or (i == 0 and tokens[1] in (
                                           ",", "please", "but", "and", "then", "via"))):
                hit = Mention(i, i + 1, saved=_SAVED_BARE[w])
        if hit is None:
            pm = longest_match(tokens, i, lex.places)
            if pm and not any(k in blocked for k in range(i, i + pm[0])) and \
                    not _a_part_not_a_place(tokens, i, i + pm[0], pm[1].category):
                entry = pm[1]
                hit = Mention(i, i + pm[0], category=entry.category, name=entry.brand)
        if hit is None:
            i += 1
            continue
        out.append(hit)
        i = hit.end
    _mark_exclusions(tokens, out)
    return out


_RULED_OUT = re.compile(r"\b(not just|rather than|instead of|other than|not even|"
                        r"(that|which) (isn't|aren't|is not|are not))"
                        r"( a| an| the| some| any)?$")


def _mark_exclusions(tokens: list[str], mentions: list[Mention]) -> None:
    """ "a burger but not from McDonald's": the brand becomes an exclusion on the burger."""
    for k, m in enumerate(mentions):
        if m.name is None:
            # "to the airport without stopping for a burger": the driver rules the stop out.
            near = tokens[max(0, m.start - 4):m.start]
            if "without" in near and {"stop", "stopping", "stops"} & set(near):
                m.excluded = True
            # "a real branch, not just an atm" (normalised "not an atm"), "tacos instead of burgers"
            if _RULED_OUT.search(" ".join(near)) or (k > 0 and re.search(
                    r"\bnot (a|an|the)$", " ".join(near))):
                m.excluded = True
            continue
        before = tokens[max(0, m.start - 4):m.start]
        if not (_NEGATORS & set(before)) or (before and before[-1] in ("but",) and
                                             "not" not in before and "anything" not in before):
            continue
        if "but" in before and not ({"not", "no", "anything", "except", "avoid"} & set(before)):
            continue
        m.excluded = True
        target = None
        for prev in reversed(mentions[:k]):
            if not prev.excluded and (prev.category == m.category or prev.category is None
                                      or target is None):
                target = prev
                if prev.category == m.category:
                    break
        for nxt in mentions[k + 1:]:
            if target is None and not nxt.excluded and nxt.category == m.category:
                target = nxt
        if target is not None:
            target.exclude_brands.append(m.name)
        else:
            # "anywhere but Starbucks": keep the category, exclude the brand.
            m.excluded = False
            m.exclude_brands.append(m.name)
            m.name = None


def find_names(tokens: list[str], taken: set[int], original: str) -> list[Mention]:
    """Free-text destinations after a navigation verb ("take me to Hershey Park")."""
    out: list[Mention] = []
    for i, w in enumerate(tokens):
        # "set destination Hershey Park": the name follows "destination" without a "to".
        said_destination = w == "destination" and (i == 0 or tokens[i - 1] in (
            "set", "new", "change", "my", "the")) and tokens[i + 1:i + 2] not in (
            ["to"], ["as"], ["is"], ["for"])
        # "to be in Lubbock by 9": where to be.
        be_in = w == "in" and i > 0 and tokens[i - 1] in ("be", "arrive", "arriving", "land",
                                                          "landing")
        leave_for = w == "for" and i > 0 and tokens[i - 1] in (
            "leave", "leaving", "depart", "departing", "out", "off", "head", "heading",
            "headed", "make")                    # "leave for Baltimore", "head for Bozeman"
        # "any idea how far Boulder is from here": the name between "how far" and "is".
        leave_for = leave_for or (w == "far" and i > 0 and tokens[i - 1] == "how" and
                                  "is" in tokens[i + 2:i + 6] and tokens[i + 1] not in
                                  _NOT_NAMES | {"away", "to", "from", "can", "will", "would",
                                                "do", "does", "should", "could", "off"})
        if w not in ("to", "at", "by", "towards", "toward", "via", "visit", "into", "reach") \
                and not said_destination and not leave_for and not be_in:
            continue
        if i + 1 in taken or i in taken:
            continue
        before = " ".join(tokens[max(0, i - 3):i + (1 if w in ("via", "visit") else 0)])
        if w not in ("via", "visit", "reach") and not said_destination and not leave_for \
                and not be_in \
                and not _NAME_TRIGGERS.search(before):
            continue
        j = i + 1
        while j < len(tokens) and tokens[j] in _NAME_SKIP:
            j += 1
        words: list[str] = []
        k = j
        while k < len(tokens) and k not in taken and tokens[k] not in _BOUNDARY and len(words) < 6:
            words.append(tokens[k])
            k += 1
        if not words or words[0] in _NOT_NAMES or " ".join(words) in _NOT_NAMES:
            continue
        if all(x in _NOT_NAMES for x in words):
            continue
        kept = trim_name(words)
        if not kept:
            continue
        start = j + _lead_words(words)
        if (house := family_house(kept)) is not None:
            out.append(Mention(start, start + 1, saved=house))
            continue
        out.append(Mention(start, start + len(kept), name=original_case(kept, original)))
    return out


_FAMILY_BARE = {"mom", "dad", "grandma", "grandpa", "nana", "granny"}


def family_house(words: list[str]) -> str | None:
    """The saved label a bare family word names as a place ("go see mom", "take me to
    grandma": their house, as "my mom" is), or None."""
    return f"{words[0]}'s house" if len(words) == 1 and words[0] in _FAMILY_BARE else None


# A free-text name ends before words that say when, how or how much ("Baltimore this time
# of day", "Boston total", "Pittsburgh the fast way"), starts after a joining word ("between
# here and York"), and is never one word that names nothing ("roughly", "quicker", "six").
# The tagger may mark only the joining word ("between London and Paris": DEST is "and"):
# the name is then the words after it (`name_after_joiner`).
_NAME_LEAD = {"and", "or", "between", "here", "then", "also", "just"}
_NAME_STOP = {"this", "today", "tonight", "tomorrow", "now", "total", "including", "yet",
              "already", "right", "roughly", "again", "too", "instead", "first", "later",
              "soon", "asap", "please", "if", "when", "while", "or", "and", "with", "without",
              "before", "after", "so", "because", "in", "for",
              "go", "goes", "do", "does", "take", "takes", "is", "are", "was", "be", "have",
              "has", "look", "looks", "cost", "costs", "need", "needs"}
_NOT_ONE_WORD_NAME = {"reach", "roughly", "seriously", "really", "quickly", "quicker", "faster",
                      "slower", "shorter", "longer", "sooner", "later",
                      "closer", "cheaper", "better", "easier", "quickest", "fastest", "normal",
                      "account", "jump", "time", "day", "traffic", "way", "route", "trip",
                      "drive", "there", "here", "one", "two", "three", "four", "five", "six",
                      "seven", "eight", "nine", "ten", "eleven", "twelve", "noon", "dark",
                      "dinner", "lunch", "breakfast", "ok", "okay", "yet", "still",
                      "please", "again", "now", "asap", "thanks", "actually", "honestly",
                      "literally", "right", "definitely", "fast", "quick", "instead",
                      "already", "anyway", "though", "eat", "food", "somewhere", "anywhere",
                      "something", "anything", "station"}


def _lead_words(words: list[str]) -> int:
    """How many joining words ("and", "between here and") come before a name."""
    n = 0
    while n < len(words) and words[n] in _NAME_LEAD:
        n += 1
    return n


def trim_name(words: list[str]) -> list[str]:
    """The words of a free-text place name, with what is not the name cut off; [] if none
    is left. "the" after the first word starts a description, not the name, unless a
    joining word comes before it ("Museum of the Bible")."""
    words = words[_lead_words(words):]
    for k, w in enumerate(words):
        if k > 0 and (w in _NAME_STOP or (w == "the" and words[k - 1] not in (
                "of", "on", "at", "in", "de", "and"))):
            words = words[:k]
            break
    if len(words) == 1 and words[0] in _NOT_ONE_WORD_NAME:
        return []
    return words


def name_after_joiner(tokens: list[str], start: int, end: int) -> list[str]:
    """For a span that is only a joining word ("and"), the name right after it."""
    if end - start != 1 or tokens[start] not in ("and", "to"):
        return []
    words: list[str] = []
    for w in tokens[end:end + 4]:
        if w in _BOUNDARY or w in _NAME_STOP:
            break
        words.append(w)
    return trim_name(words)


def original_case(words: list[str], original: str) -> str:
    """The words as the driver wrote them (case and punctuation), found in `original`."""
    pattern = r"[\W_]*".join(re.escape(w) for w in words)
    # Whole words only: "ny" is not the end of "many".
    m = re.search(rf"(?<!\w){pattern}(?!\w)", original, flags=re.IGNORECASE) or re.search(
        pattern, original, flags=re.IGNORECASE)
    name = m.group(0) if m else " ".join(words)
    return name[:120]
