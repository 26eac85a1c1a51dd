"""Which place mentions are stops: the same place said twice is one (its drink order kept),
and a clause after a comma that gives a reason names none.

A free-text name that only describes or locates a kind said with it ("the central bus
terminal", "the ev charger over at the outlet mall") is no place of its own.

`rules.parse` applies these after the mentions are found and before their roles are split
into destination and stops.
"""

from __future__ import annotations

import logging

from copilot.nlu.places import Mention
from routing.messages import Order
from routing.profile import LABEL_KINDS

log = logging.getLogger(__name__)


# A clause after a comma that opens with its own subject gives the reason ("scratch the post
# office, I'll mail it from work", "drop mom's, she's not home"): its places are not stops.
_REASON_SUBJECTS = {"i", "we", "she", "he", "they", "i'll", "we'll", "she'll", "he'll",
                    "they'll", "i'm", "we're", "she's", "he's", "they're", "it's", "i've",
                    "we've", "i'd", "we'd", "my", "our", "it"}


# For a trip, only a clause that tells (not "I need gas", "we want coffee"): its subject is
# someone else or a plan ("we'll eat it at the hotel", "it's my cousin's apartment").
_TELLING_SUBJECTS = {"she", "he", "they", "she's", "he's", "they're", "she'll", "he'll",
                     "they'll", "we'll", "i'll", "it's"}
# "..., I forgot my pills at home", "..., we promised the office croissants": told, not asked.
_TELL_VERBS = {"forgot", "left", "promised", "told", "said", "had", "already", "was", "were",
               "think", "guess", "just", "hate", "love", "know", "heard", "saw", "ate"}
_ASKING = {"need", "needs", "want", "wants", "wanna", "gotta", "like", "stop", "grab", "get",
           "pick", "add", "have", "find", "go", "take", "swing", "hit", "via", "through"}


_CLAUSE_OPENERS = {"she's", "he's", "they're", "she'll", "he'll", "they'll", "we'll", "i'll"}


def before_the_reason(tokens: list[str], mentions: list[Mention], roles: list[str],
                       told: bool = False) -> tuple[list[Mention], list[str]]:
    """The places said before a reason clause, when any are. `told`: only a clause that
    tells something and asks for nothing counts."""
    subjects = _TELLING_SUBJECTS if told else _REASON_SUBJECTS
    for k, t in enumerate(tokens[:-1]):
        if told and t == ",":
            clause = tokens[k + 1:]
            clause = clause[:clause.index(",")] if "," in clause else clause
            if _ASKING & set(clause):
                continue
        telling = tokens[k + 1] in subjects or (told and tokens[k + 1] in ("i", "we") and
                                                tokens[k + 2:k + 3] and
                                                tokens[k + 2] in _TELL_VERBS)
        # A transcript has no commas: "... at grandma's she's not home" opens the clause
        # with the contraction itself, right after a place.
        unmarked = t in _CLAUSE_OPENERS and any(m.end == k for m in mentions) and not (
            told and _ASKING & set(tokens[k:]))
        if ((t == "," and telling) or unmarked) and any(m.end <= k for m in mentions):
            keep = [m.start < k for m in mentions]
            return ([m for m, ok in zip(mentions, keep, strict=True) if ok],
                    [r for r, ok in zip(roles, keep, strict=True) if ok])
    return mentions, roles


# Words between a kind and a free-text name after it that make the name where the kind is.
_LOCATORS = {("at",), ("by",), ("near",), ("over", "at"), ("over", "by"), ("down", "by"),
             ("right", "by"), ("out", "by"), ("next", "to"), ("across", "from"), ("behind",)}


def describing_names(tokens: list[str], mentions: list[Mention],
                     free: list[Mention]) -> list[Mention]:
    """The free-text names (`free`, from `places.find_names`) that only qualify a kind said
    right after them ("the central bus terminal", "that seafood restaurant") or locate one
    said right before them ("the ev charger over at the outlet mall"). Lower-case words
    after "to" are read as a name up to the first known word, so a qualifier of the kind
    became a stop of its own. The kind's mention is widened over the words it takes in, so
    its role is read from the words around the whole phrase."""
    kinds = [m for m in mentions if m.category and not m.name and not m.saved]
    out = []
    for m in free:
        kind = next((k for k in kinds if k.start == m.end), None)
        if kind is not None:
            kind.start = m.start         # the kind's mention is the whole phrase, for its role
            out.append(m)
            continue
        for k in kinds:
            gap = tuple(t for t in tokens[k.end:m.start] if t not in ("the", "a", "an"))
            if k.end <= m.start and gap in _LOCATORS:
                k.end = m.end
                out.append(m)
                break
    return out


_TOWN_JOINERS = ("in", "at")     # "on Front Street" says where on it (a qualifier, rules.py)
_NOT_A_TOWN = {"I", "I'm", "I'll", "I'd", "Then", "And", "But", "Please", "Flight", "So"}
_STATES = {"alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut",
           "delaware", "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa",
           "kansas", "kentucky", "louisiana", "maine", "maryland", "massachusetts", "michigan",
           "minnesota", "mississippi", "missouri", "montana", "nebraska", "nevada", "new",
           "north", "south", "west", "ohio", "oklahoma", "oregon", "pennsylvania", "rhode",
           "tennessee", "texas", "utah", "vermont", "virginia", "washington", "wisconsin",
           "wyoming"}


# Lower-case names that end in one of these are places ("the vet clinic in Broken Bow",
# "the sale barn in Valentine"); others are not named ("the top-rated taverna in Sealy").
_PLACE_NOUNS = {"clinic", "grounds", "fairgrounds", "fair", "library", "elevator", "barn",
                "campground", "church", "school", "office", "store", "shop", "center",
                "centre", "park", "field", "farm", "ranch", "yard", "hall", "museum", "stadium",
                "arena", "theater", "theatre", "courthouse", "depot", "plant", "mill", "marina",
                "pier", "mall", "plaza", "zoo", "lodge", "cemetery", "college", "university"}


def _town_after(tokens: list[str], start: int, mentions: list[Mention], a: Mention,
                text: str) -> int:
    """How many capitalised words from `start` name a town (0 if none)."""
    from copilot.nlu.places import original_case

    other = {k for m in mentions if m is not a and (m.category or m.saved)
             for k in range(m.start, m.end)}
    n = 0
    for k in range(start, min(start + 3, len(tokens))):
        if k in other or not tokens[k][:1].isalpha():
            break
        said = original_case([tokens[k]], text)
        if not said[:1].isupper() or said in _NOT_A_TOWN:
            break
        n += 1
    return n


def with_its_town(tokens: list[str], mentions: list[Mention], text: str) -> list[Mention]:
    """A place said with where it is ("the Ferry Building in San Francisco", "2201 Westlake
    Avenue in Seattle", "350 Fifth Avenue, New York", "Branson, Missouri", "the vet clinic in
    Broken Bow", "the bus station in Grand Island", "the Rapid City airport") is one place,
    not a trip through the town. A name takes the town into its name; a kind keeps its kind
    (the nearest one is found) and the town is not a stop. A lone lower-case word ("the
    top-rated taverna in Sealy") takes none."""
    from copilot.nlu.places import original_case

    drop: set[int] = set()
    for i, a in enumerate(mentions):
        if id(a) in drop or a.saved:
            continue
        nxt = mentions[i + 1] if i + 1 < len(mentions) else None
        if a.name and not a.category and nxt is not None and nxt.category and \
                not nxt.saved and nxt.start == a.end and a.name[:1].isupper():
            drop.add(id(a))                       # "the Rapid City airport": the airport
            nxt.start = a.start
            continue
        if a.end >= len(tokens):
            continue
        joiner = tokens[a.end]
        address = tokens[a.start][:1].isdigit()
        named = bool(a.name) and not a.category
        if named and not address and not a.name[:1].isupper() and (
                a.name.split()[-1].lower() not in _PLACE_NOUNS or len(a.name.split()) < 2):
            continue
        state = joiner == "," and tokens[a.end + 1:a.end + 2] and tokens[a.end + 1] in _STATES
        if joiner not in (*_TOWN_JOINERS, "outside") and not (joiner == "," and (
                address or state)):
            continue
        start = a.end + 1
        n = _town_after(tokens, start, mentions, a, text)
        if not n:
            continue
        end = start + n
        for b in mentions:                        # a name found there is the town itself
            if b is not a and start <= b.start < end + 1 and not (b.category or b.saved):
                drop.add(id(b))
                end = max(end, b.end)
        if named and joiner != "outside":
            a.name = f"{a.name}, {original_case(tokens[start:end], text)}"[:120]
        a.end = end
    return [m for m in mentions if id(m) not in drop]


_FOOD = {"fast_food", "burger", "pizza", "coffee", "bakery", "restaurant", "grocery"}
_MEALS = {"breakfast", "lunch", "dinner", "brunch", "a", "quick", "late", "early"}
_CASH = {"cash", "money"}
_ANOTHER = {"another", "again", "second", "more", "two", "both", "other"}


def _carry_order(orders: dict[int, Order], merged: Mention, into: Mention) -> None:
    """The drink said with a merged mention stays with the stop it joined ("stop at a
    cafe, I want a medium coffee, dark roast")."""
    if id(merged) in orders and id(into) not in orders:
        orders[id(into)] = orders.pop(id(merged))


def merge_duplicates(tokens: list[str], mentions: list[Mention],
                      orders: dict[int, Order] | None = None) -> list[Mention]:
    """ "stop at a wawa for gas", "my suits at the dry cleaner": one stop, not two."""
    orders = {} if orders is None else orders
    out: list[Mention] = []
    for m in mentions:
        prev = out[-1] if out else None
        kinds = {x.category or (k.value if (k := LABEL_KINDS.get(x.saved or "")) else None)
                 for x in (m, prev) if x}
        if prev is not None and not m.excluded and not prev.excluded and (
                (m.category is not None and m.category == prev.category) or (
                m.saved is not None and m.saved == prev.saved) or (
                len(kinds) == 1 and None not in kinds and bool(m.saved or prev.saved))) \
                and m.start - prev.end <= 8 and "then" not in tokens[prev.end:m.start] \
                and not _ANOTHER & set(tokens[prev.end:m.end]):
            if m.saved and not prev.saved:     # "my suits at the dry cleaner": the own one
                prev.category, prev.saved = None, m.saved
            prev.name = prev.name or m.name
            prev.exclude_brands += m.exclude_brands
            prev.end = m.end
            _carry_order(orders, m, prev)
            continue
        if prev is not None and prev.name and prev.category and m.category and not m.name \
                and not m.saved and not m.excluded and not prev.excluded and m.start == prev.end:
            # "a Chase ATM", "the Costco gas station": the brand's place of that kind.
            prev.category = m.category
            prev.end = m.end
            _carry_order(orders, m, prev)
            continue
        if prev is not None and (prev.category in _FOOD or (prev.name and not prev.saved)) \
                and m.category == "restaurant" and not m.name and \
                tokens[prev.end:m.start] == ["for"] and set(tokens[m.start:m.end]) <= _MEALS:
            # "something quick for lunch", "a drive-thru for breakfast", "Bob's Diner for
            # lunch": the meal is what the stop is for, not a second stop.
            prev.end = m.end
            continue
        if prev is not None and prev.name and not prev.saved and not prev.category and \
                m.category and not m.name and not m.saved and not m.excluded and \
                not prev.excluded and tokens[prev.end:m.start] == ["for"]:
            # "a Kwik Trip for gas", "Joe's for coffee": the named place, of the kind it is
            # for (one stop, the name kept).
            prev.category, prev.end = m.category, m.end
            _carry_order(orders, m, prev)
            continue
        if prev is not None and prev.category == "restaurant" and not prev.name and \
                set(tokens[prev.start:prev.end]) <= _MEALS and m.category in (
                    "fast_food", "burger", "pizza") and not m.excluded and not prev.excluded and \
                "then" not in tokens[prev.end:m.start] and \
                not _ANOTHER & set(tokens[prev.end:m.end]):
            # "the crew wants lunch, stop at a pizza place": the meal is had at that kind.
            prev.category, prev.name, prev.end = m.category, m.name, m.end
            prev.exclude_brands += m.exclude_brands
            _carry_order(orders, m, prev)
            continue
        if prev is not None and m.name and m.name[:1].isdigit() and not prev.category and (
                prev.saved or prev.name) and set(tokens[prev.end:m.start]) & {",", "at"} and \
                set(tokens[prev.end:m.start]) <= {",", "at", "place", "house", "home"}:
            # "Aunt Jo's place, 212 Spruce Street", "Grandma's at 1100 Elm": the address is
            # where that house is.
            prev.saved, prev.name, prev.end = None, m.name, m.end
            continue
        cash = next((x for x in out if {x.category, m.category} == {"atm", "bank"} and
                     (_CASH & set(tokens[x.start:x.end]) or _CASH & set(tokens[m.start:m.end]))
                     and not x.name and not m.name), None)
        if cash is not None and not m.excluded:
            # "I need cash for the auction, put a bank on the way": the bank is where the
            # cash comes from, one stop.
            if m.category == "bank":
                cash.category, cash.start, cash.end = "bank", m.start, m.end
            continue
        twin = next((x for x in out if m.category and x.category == m.category and
                     not x.excluded), None)
        if twin is not None and not m.excluded and not m.name and (
                not twin.name or (m.category == "coffee" and id(m) in orders)) and not (
                _ANOTHER & set(tokens[twin.end:m.end])):
            # "we need to charge the car ..., so find a charger on the way", "I need cash,
            # add an ATM": the same kind said twice is one stop, unless "another" is said;
            # "Dunkin' on the way, a medium iced coffee": the order is had at the brand.
            _carry_order(orders, m, twin)
            continue
        if prev is not None and prev.category and not prev.name and m.name and m.category \
                and not m.excluded and not prev.excluded and \
                tokens[prev.end:m.start] in (["at"], ["at", "the"], ["at", "a"]):
            # "fill up at Costco", "gas at the Sheetz": the brand is where the errand is done.
            prev.name = m.name
            prev.exclude_brands += m.exclude_brands
            prev.end = m.end
            _carry_order(orders, m, prev)
            continue
        out.append(m)
    return out
