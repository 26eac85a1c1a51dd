"""The fast rule parser: normalised tokens -> intent, places in spoken order, times, orders.

Vocabulary and intent cues come from `data/*.yaml` (see `lexicon`). The parser finds times,
drink orders and place mentions, writes a skeleton ("take me to PLACE by TIME"), matches the
intent cues on it, and decides which mention is the destination. Its confidence says how
much of the utterance it explained; the Understander asks the LLM when it is low.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from copilot.nlu.corrections import apply_corrections
from copilot.nlu.lexicon import lexicon
from copilot.nlu.orders import OrderSpan, orders_in
from copilot.nlu.places import Mention, find_addresses, find_mentions, find_names
from copilot.nlu.proper_names import proper_names
from copilot.nlu.stop_mentions import (
    before_the_reason,
    describing_names,
    merge_duplicates,
    with_its_town,
)
from copilot.nlu.text import normalise
from copilot.nlu.times import find_times
from routing.messages import MAX_STOPS, Order

log = logging.getLogger(__name__)

_STOP_BEFORE = re.compile(
    r"\b(stop|stopping|stops|grab|grabbing|get|getting|pick up|pickup|picking up|via|swing by|"
    r"by way of|"
    r"swing past|drop by|drop in|pop by|pop into|first|add|with|and also|also|buy|need|want|"
    r"fetch|collect|hit|through|passing|past|at|for|some|quick|plus|a|an|fill up at)"
    r"( at| for| by| to| in| into| up| me| us| some| a| an| the| quick| my)*$")
_DEST_BEFORE = re.compile(
    r"\b(to|towards|toward|destination is|end at|end up at|finish at|finishing at|then|"
    r"and then|after that|afterwards|finally|and finally|end with|ending at|back to|before|"
    r"(be|get|arrive|land|off|arriving|be there|drop (me|us) off) at)"
    r"( the| a| an| my| our| nearest| closest| go to| head to| to| off at| back| home to)*$")
_STOP_AFTER = re.compile(
    r"^(on the way|along the way|en route|on route|on our way|on my way|first|before|along|"
    r"beforehand|quickly first|on the road|enroute|as well|too|also|in between|midway|"
    r"halfway|((anywhere|places|place|joints|spots|stations|stops) )?(along|on) (my|the|this|our) "
    r"(route|way|road|trip)|coming up|up ahead|ahead)\b")
_VEHICLE_STATE_WORDS = {"gas", "fuel", "charge", "battery", "diesel", "petrol", "charging"}
_OUT_OF_SCOPE = re.compile(
    r"\b(deliver|delivery|delivered|joke|weather|forecast|rain|call|text|email|message|messages|calendar|alarm|reminder|"
    r"news|score|capital of|who (is|was|won)|how are you|sing|translate|stock|meaning of|"
    r"poem|story|recipe|spell|define|horoscope|lottery|tweet|facebook|order (me )?a pizza "
    r"delivered|what day|what year|birthday|homework|president)\b")


@dataclass
class RuleParse:
    """What the rules found, before it becomes an `Understanding`."""

    intent: str
    confidence: float
    destination: Mention | None = None
    stops: list[Mention] = field(default_factory=list)
    orders: dict[int, Order] = field(default_factory=dict)
    """id(mention) -> the drink order attached to it."""
    arrive_by: str | None = None
    flight_time: str | None = None
    tokens: list[str] = field(default_factory=list)
    skeleton: str = ""
    hits: dict[str, int] = field(default_factory=dict)
    corrected: bool = False


def _attach_orders(tokens: list[str], mentions: list[Mention],
                   orders: list[OrderSpan]) -> tuple[list[Mention], dict[int, Order]]:
    """Each drink order joins the coffee stop it belongs to, or becomes one."""
    attached: dict[int, Order] = {}
    out = list(mentions)
    for o in orders:
        order = o.to_order()
        if order is None:
            continue
        if set(o.values) == {"drink"} and o.values["drink"] != "coffee" and any(
                m.category == "coffee" and m.start <= o.start and o.end <= m.end for m in out):
            continue                     # "a tea house": the drink word names the place
        # (a lone "coffee" order is left by orders_in only when a cup is asked for: it joins)
        # A coffee mention inside the order span or next to it (no other place between).
        best: Mention | None = None
        best_gap = 99
        for m in out:
            if m.category != "coffee" or id(m) in attached:
                continue
            gap = 0 if (m.start < o.end and o.start < m.end) else (
                o.start - m.end if m.end <= o.start else m.start - o.end)
            between = [x for x in out if x is not m and min(m.end, o.end) <= x.start <
                       max(m.start, o.start)]
            if gap < best_gap and gap <= 8 and not between:
                best, best_gap = m, gap
        if best is None:
            best = Mention(o.start, o.end, category="coffee")
            out.append(best)
        attached[id(best)] = order
    # Mentions that sit inside an order span ("cup of coffee") are the order's own stop.
    out.sort(key=lambda m: m.start)
    return out, attached


def _skeleton(tokens: list[str], spans: list[tuple[int, int, str]]) -> str:
    words: list[str] = []
    i = 0
    ordered = sorted(spans)
    k = 0
    while i < len(tokens):
        while k < len(ordered) and ordered[k][1] <= i:
            k += 1
        if k < len(ordered) and ordered[k][0] == i:
            words.append(ordered[k][2])
            i = max(ordered[k][1], i + 1)
            k += 1
            continue
        words.append(tokens[i])
        i += 1
    return " ".join(words)


def _cue_hits(plain: str, skeleton: str) -> dict[str, int]:
    """Intent -> character position of its first cue (in the skeleton or plain text)."""
    hits: dict[str, int] = {}
    for intent, patterns in lexicon().intent_cues.items():
        for p in patterns:
            m = p.search(skeleton) or p.search(plain)
            if m:
                hits[intent] = min(hits.get(intent, 10**6), m.start())
    if _OUT_OF_SCOPE.search(plain):
        hits["out_of_scope"] = _OUT_OF_SCOPE.search(plain).start()  # type: ignore[union-attr]
    return hits


# "need to pee", "want to refuel": an infinitive "to" is not "to a place".
_INFINITIVE_BEFORE = re.compile(r"\b(need|needs|want|wants|have|has|got|gotta|like|love|"
                                r"try|trying|able|wanna) to( use| the| a| an| go)*$")
_DEST_LIKE = {"airport", "train_station", "bus_station", "hospital", "hotel"}
_STREET = re.compile(r"\b(street|st|avenue|ave|road|rd|boulevard|blvd|drive|lane|way|pike|"
                     r"highway|route)$")
_QUALIFIER_BEFORE = re.compile(r"\b(near|close to|next to|across from|behind|around|"
                               r"opposite|beside)( the| a| an| my)?( [a-z]+)?$")
# "the closest train station with parking", "a rest area with bathrooms": what the place has.
_AMENITY_BEFORE = re.compile(r"\b(with|that has|which has|that have)( a| an| free| good| some)?$")


def _role(tokens: list[str], m: Mention, times: set[int], has_order: bool) -> str:
    """ "dest", "stop_after" (strong: "... on the way"), "stop", "qualifier" or "plain"."""
    before = " ".join(t for t in tokens[max(0, m.start - 5):m.start])
    after = " ".join(tokens[m.end:m.end + 4])
    if _QUALIFIER_BEFORE.search(before) or (before.endswith(" on") and m.name and _STREET.search(
            m.name.lower())):
        return "qualifier"                                # "near X", "on Front Street"
    if has_order:
        return "stop_after"
    if _STOP_AFTER.search(after) and not (after.startswith("before") and m.end + 1 in times) \
            and not re.match(r"before (it|they|that|the place) ", after):   # "... closes"
        return "stop_after"
    if _DEST_BEFORE.search(before) and not _INFINITIVE_BEFORE.search(before):
        return "dest"
    if _STOP_BEFORE.search(before):
        return "stop"
    return "plain"


def _dest_like(m: Mention) -> bool:
    return m.saved is not None or (m.name is not None and m.category is None) or (
        m.category in _DEST_LIKE)


def _roles(tokens: list[str], mentions: list[Mention], times: set[int],
           orders: dict[int, Order]) -> list[str]:
    roles = [_role(tokens, m, times, id(m) in orders) for m in mentions]
    said = list(roles)
    # A list continues its head: "to the bank and the post office", "stop at A and B".
    for k in range(1, len(mentions)):
        between = tokens[mentions[k - 1].end:mentions[k].start]
        if between in (["by", "the"], ["by", "a"], ["by"]) and mentions[k].category:
            roles[k] = "qualifier"               # "the hotel by the airport": where it is
            continue
        if roles[k] == "plain" and roles[k - 1] in ("dest", "stop") and set(between) <= _LIST:
            roles[k] = roles[k - 1]
    # ... and a list ending "on the way" is that many stops: "to the office, gas, coffee and
    # a bathroom on the way" ends at the office (its own cue), the rest are on the way.
    for k in range(len(mentions) - 1, 0, -1):
        between = tokens[mentions[k - 1].end:mentions[k].start]
        if roles[k] == "stop_after" and said[k - 1] == "plain" and \
                mentions[k - 1].category and not _dest_like(mentions[k - 1]) and \
                roles[k - 1] != "qualifier" and set(between) <= _LIST and between:
            roles[k - 1] = "stop_after"
    return roles


_LIST = {"and", ",", "the", "a", "an", "some", "my"}


_BEFORE_GOAL = re.compile(r"\bbefore (we (get|arrive|reach) (to |at )?|getting to |reaching |"
                         r"arriving at |(heading|going|driving|we head|we go) (back )?(to )?)?"
                         r"(the |my |our )?$")
# "hotels along the way to Bend": where the trip goes, not what a search looks for.
_TRIP_GOAL = re.compile(r"\b(on|along) (the|our|my) (way|road|drive|trip) (to|towards)( the| my)?$")


# A stop a trip question asks about ("how much would a stop at the pharmacy add", "would we
# still make it by 5:30 if we picked up a pizza", "do I have time to grab coffee"): a stop
# weighed, not where the trip goes.
_WHAT_IF_BEFORE = re.compile(
    r"\b((stop|stopped|stopping) (at|for|by|in)|(detour|side trip|swing) (to|by|for|over to)|"
    r"(a|the|one) (quick )?stop (at|for|by)|(if|when) (we|i) (\w+ )?(grab|grabbed|get|got|"
    r"pick up|picked up|hit|swing by|swung by|pull in at|pulled in at)|time (for|to grab|"
    r"to get|to stop at|to stop for|to pick up|to hit)|to stop (at|for|by))"
    r"( a| an| the| some| my| our| that)*$")


def what_if_stop(tokens: list[str], m: Mention) -> bool:
    """Whether a trip question weighs `m` as a stop (`_WHAT_IF_BEFORE`, "the pharmacy stop")."""
    before = " ".join(t for t in tokens[max(0, m.start - 6):m.start] if t != ",")
    after = tokens[m.end:m.end + 1]
    return _WHAT_IF_BEFORE.search(before) is not None or after in (["stop"], ["detour"])


_THEN_BEFORE = re.compile(r"\b(and )?then( the| a| an| at| to)?$")
_GO_BEFORE = re.compile(r"(^|\b)(take|bring|drive|get|navigate|head|go|going|heading|roll|route|"
                        r"directions)( me| us)?( up| down| over| out| on| back)?( to| towards)?"
                        r"( the| my| a| an)?$")


def _before(tokens: list[str], m: Mention) -> str:
    return " ".join(t for t in tokens[max(0, m.start - 5):m.start] if t != ",")


def _split_roles(tokens: list[str], mentions: list[Mention], roles: list[str],
                 intent: str) -> tuple[Mention | None, list[Mention]]:
    pairs = [(m, r) for m, r in zip(mentions, roles, strict=True) if r != "qualifier"]
    if intent == "add_stop" and len(pairs) > 1:
        # "stop at a car wash before we get to my sister's", "before home, the gym": the
        # place after "before" is where the trip already goes, not another stop.
        ahead = [(m, r) for m, r in pairs if _BEFORE_GOAL.search(
            " ".join(tokens[max(0, m.start - 5):m.start]) + " ")]
        if len(ahead) < len(pairs):
            pairs = [x for x in pairs if x not in ahead]
    if intent == "find_place" and len(pairs) > 1:
        # What a search's place has ("the closest train station with parking") and where the
        # trip goes ("hotels along the way to Bend") are not what it looks for.
        pairs = [(m, r) for m, r in pairs if not _TRIP_GOAL.search(
            " ".join(tokens[max(0, m.start - 5):m.start])) and not (
            m.category in ("parking", "restroom") and _AMENITY_BEFORE.search(
                " ".join(tokens[max(0, m.start - 3):m.start])))]
    dest: Mention | None = None
    # A trip question's weighed stops are never where it goes; the rest are read as usual.
    weighed = [m for m, _ in pairs if intent == "ask_eta" and what_if_stop(tokens, m)]
    dests = [m for m, r in pairs if r == "dest" and m not in weighed]
    if intent in ("add_stop", "remove_stop"):
        if intent == "add_stop" and dests and any(
                re.search(r"(way|heading|going|trip|route|keep going|continue) to( \w+)?$",
                          " ".join(tokens[max(0, d.start - 5):d.start])) for d in dests):
            dest = dests[-1]
    elif dests:
        dest = dests[-1]
        # "head up to Sioux Falls, and on the way gas and then a burger": "then" orders the
        # errands; the place a going verb named is where the trip ends.
        # ("take me to the bank and then the post office" keeps the post office: "then"
        # follows the going verb's own place there, not an errand.)
        if intent == "navigate" and _THEN_BEFORE.search(_before(tokens, dest)):
            going = [m for m, _ in pairs if _GO_BEFORE.search(_before(tokens, m))]
            earlier = [m for m, _ in pairs if m.end <= dest.start]
            if going and earlier and earlier[-1] not in going and going[-1].end <= dest.start \
                    and not _THEN_BEFORE.search(_before(tokens, earlier[-1])):
                dest = going[-1]
    elif intent in ("navigate", "find_place", "ask_eta", "ask_vehicle"):
        weak = [m for m, r in pairs if r in ("plain", "stop")]
        plain = [m for m, r in pairs if r == "plain"]
        like = [m for m in weak if _dest_like(m)]
        plain_like = [m for m in plain if _dest_like(m)]
        asked = [m for m, _ in pairs if m not in weighed]
        if intent in ("ask_vehicle", "ask_eta"):
            dest = asked[-1] if asked else None  # a question has no errands: where to
        elif plain_like and intent == "navigate":
            dest = plain_like[-1]                # "home by way of the dry cleaner": home
        elif like:
            dest = like[-1]
        elif plain:
            dest = plain[-1]
        elif weak and intent != "find_place":
            dest = weak[-1]
        elif intent == "find_place" and len(pairs) == 1 and pairs[0][1] != "stop_after":
            dest = pairs[0][0]
    stops = [m for m, _ in pairs if m is not dest]
    return dest, stops


def _decide_intent(hits: dict[str, int], mentions: list[Mention], roles: list[str],
                   plain: str) -> tuple[str, float]:
    places = bool(mentions)
    has_dest = "dest" in roles
    explicit_add = re.search(r"^(can you |could you |please |)(also )?add\b|"
                             r"\b(also|another|one more) stop\b|^add\b", plain) is not None
    going_without = has_dest and "navigate" in hits and re.search(
        r"\bwithout (\w+ )?stop", plain) is not None  # "take me home without stopping"
    if "remove_stop" in hits and places and not going_without:
        return "remove_stop", 0.9                       # "cancel the coffee stop"
    if "cancel" in hits and not (places and "navigate" in hits and hits["navigate"] > hits[
            "cancel"]):
        return "cancel", 0.92
    if "remove_stop" in hits and not going_without:
        return "remove_stop", 0.9 if places or "stop" in plain else 0.6
    if "ask_vehicle" in hits:
        return "ask_vehicle", 0.9
    if "ask_eta" in hits:
        return "ask_eta", 0.9
    if "vehicle_control" in hits and not (places and {"navigate", "add_stop", "find_place"} &
                                          set(hits)):
        return "vehicle_control", 0.9
    if "out_of_scope" in hits and not places:
        return "out_of_scope", 0.85
    if "out_of_scope" in hits and ("deliver" in plain or not set(hits) & {
            "navigate", "add_stop", "find_place"}):
        return "out_of_scope", 0.8                      # "call the office", "spell restaurant"
    if "add_stop" in hits and explicit_add:
        return "add_stop", 0.9
    if "find_place" in hits and "navigate" in hits and re.search(
            r"\b(take|bring|get|drive) (me|us) there\b|\b(go|navigate|head) there\b", plain):
        return "navigate", 0.88
    if ("navigate" in hits or "add_stop" in hits) and has_dest:
        return "navigate", 0.92
    if "find_place" in hits and places and (
            "add_stop" not in hits or hits["find_place"] < hits["add_stop"]):
        return "find_place", 0.88
    errands = [m for m, r in zip(mentions, roles, strict=True) if not _dest_like(m)]
    if "add_stop" in hits and places:
        # "i need the emergency room": a destination-like place alone is where to go.
        if not errands and len(mentions) == 1:
            return "navigate", 0.8
        if errands and len(errands) < len(mentions) and not explicit_add:
            return "navigate", 0.85                        # "airport, and a burger on the way"
        return "add_stop", 0.88
    if "navigate" in hits:
        return "navigate", 0.85 if places else 0.5
    if "find_place" in hits:
        return "find_place", 0.5
    if "add_stop" in hits:
        return "add_stop", 0.5
    if places:
        # No verb at all: "airport please" goes there, "a coffee" is an errand on the way,
        # "first an atm and then the bank" ends at the bank.
        if errands and len(errands) == len(mentions) and not has_dest:
            return "add_stop", 0.65
        return "navigate", 0.7
    if "out_of_scope" in hits:
        return "out_of_scope", 0.85
    return "out_of_scope", 0.35


def parse(text: str, intent: str | None = None) -> RuleParse:
    """Parse one sanitised utterance with the rules (never raises on str input). A given
    `intent` (the learned model's) replaces the rules' own choice, so places are split into
    destination and stops for that intent."""
    tokens, corrected = apply_corrections(normalise(text))
    times = find_times(tokens)
    time_idx = {k for t in times for k in range(t.start, t.end)}
    orders = orders_in(tokens)
    addresses = find_addresses(tokens, time_idx, text)
    address_idx = {k for m in addresses for k in range(m.start, m.end)}
    proper = proper_names(text, tokens, time_idx | address_idx)
    proper_idx = {k for m in proper for k in range(m.start, m.end)}
    mentions = addresses + proper + find_mentions(tokens, time_idx | proper_idx | address_idx)
    taken = time_idx | {k for m in mentions for k in range(m.start, m.end)}
    taken |= {k for o in orders for k in range(o.start, o.end)}
    free = find_names(tokens, taken, text)
    describing = describing_names(tokens, mentions, free)
    mentions += [m for m in free if m not in describing]
    mentions.sort(key=lambda m: m.start)
    mentions = with_its_town(tokens, mentions, text)
    mentions, attached = _attach_orders(tokens, mentions, orders)
    mentions = merge_duplicates(tokens, mentions, attached)
    spans = [(t.start, t.end, "time") for t in times]
    spans += [(m.start, m.end, "place") for m in mentions if not m.excluded]
    skeleton = _skeleton(tokens, spans)
    plain = " ".join(tokens)
    hits = _cue_hits(plain, skeleton)
    live = [m for m in mentions if not m.excluded]
    roles = _roles(tokens, live, time_idx, attached)
    rule_intent, confidence = _decide_intent(hits, live, roles, plain)
    intent = intent or rule_intent
    if intent == "ask_vehicle":
        keep = [not (m.category in ("fuel", "ev_charging") and set(
            tokens[m.start:m.end]) & _VEHICLE_STATE_WORDS) for m in live]
        live = [m for m, k in zip(live, keep, strict=True) if k]
        roles = [r for r, k in zip(roles, keep, strict=True) if k]
    if intent in ("cancel", "vehicle_control", "out_of_scope"):
        live, roles = [], []
    if intent == "remove_stop":
        live, roles = before_the_reason(tokens, live, roles)
    elif intent in ("navigate", "add_stop"):
        live, roles = before_the_reason(tokens, live, roles, told=True)
    dest, stops = _split_roles(tokens, live, roles, intent)
    if intent == "navigate" and dest is None:
        confidence = min(confidence, 0.55)
    if intent in ("add_stop", "remove_stop") and not stops and dest is None:
        confidence = min(confidence, 0.6)
    # "my train's at 7:15 so be there by seven": the deadline said with "by" wins.
    deadlines = sorted((t for t in times if t.role == "arrive_by"), key=lambda t: not t.deadline)
    arrive_by = deadlines[0].hhmm if deadlines else None
    flight = next((t.hhmm for t in times if t.role == "flight"), None)
    if intent in ("navigate", "ask_eta", "add_stop") and arrive_by is None and flight is None:
        others = [t for t in times if t.role == "other"]
        if others:
            arrive_by = others[0].hhmm
    if arrive_by and flight and int(arrive_by[:2]) + 12 <= int(flight[:2]):
        # "flight at 8:15 pm, be there by 7": the deadline is the same evening.
        arrive_by = f"{int(arrive_by[:2]) + 12:02d}{arrive_by[2:]}"
    confidence *= _coverage(tokens, spans)
    return RuleParse(intent=intent, confidence=round(confidence, 3), destination=dest,
                     stops=stops[:MAX_STOPS], orders=attached, arrive_by=arrive_by,
                     flight_time=flight, tokens=tokens, skeleton=skeleton, hits=hits,
                     corrected=corrected)


def _coverage(tokens: list[str], spans: list[tuple[int, int, str]]) -> float:
    """1.0 when every word is known vocabulary; down to 0.6 when none is."""
    if not tokens:
        return 0.6
    known = known_words()
    covered = {k for s, e, _ in spans for k in range(s, e)}
    words = [(k, t) for k, t in enumerate(tokens) if t != ","]
    if not words:
        return 0.6
    unknown = sum(1 for k, t in words if k not in covered and t not in known
                  and not t.isdigit())
    return 1.0 - 0.4 * unknown / len(words)


_known: set[str] = set()


def known_words() -> set[str]:
    """Every word of the YAML vocabulary plus common function words."""
    if _known:
        return _known
    lex = lexicon()
    words: set[str] = set(_FUNCTION_WORDS.split())
    for phrase in lex.places:
        words.update(phrase)
    for table in lex.order_words.values():
        for phrase in table:
            words.update(phrase)
    for pats in lex.intent_cues.values():
        for p in pats:
            words.update(re.findall(r"[a-z']+", p.pattern.replace(r"\b", " ").replace(r"\w", "")))
    for temps in lex.intent_templates.values():
        for t in temps:
            words.update(re.findall(r"[a-z']+", t.lower()))
    _known.update(words)
    return _known


_FUNCTION_WORDS = """a an the to and or but then of in on at by for with from up down off over
into onto out about as is are was were be been am i me my we us our you your it its this that
these those there here what when where why how who which can could would should will shall do
does did have has had need needs want wants get got go going gonna wanna gotta let let's lets
some any one two three four five six seven eight nine ten first next last also too so if not
no yes yeah yep nope now soon quick quickly later today tonight morning evening afternoon pm am
please thanks time minutes hours miles way on-the-way stop stops place places somewhere near
nearby close closest nearest around along route trip drive head take bring home work i'm we're
it's that's what's where's i'd i'll we'll don't can't won't before after while since until
still again more less very much many little bit lot really just only like something anything
right left straight ahead back trying try make made sure okay ok hey copilot car vehicle o'clock
noon midnight half quarter past till til thirty forty fifty twenty fifteen forty-five"""
