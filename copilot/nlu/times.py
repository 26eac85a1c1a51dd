"""Clock times in speech and text -> "HH:MM", and which one is a deadline or a flight.

Handles "5:30", "5 30 pm", "five thirty", "quarter to six", "half past five", "noon",
"17:30". Without am/pm, hours 1-7 are read as afternoon/evening (a driver saying "by five" in
a car means 17:00, "the game by 7" 19:00); 8-11 stay morning unless "pm", "tonight" or
"evening" is said.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from copilot.nlu.lexicon import STREET_SUFFIXES

log = logging.getLogger(__name__)

_UNITS = {"zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
          "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
          "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
          "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50}
_PM_WORDS = {"pm", "tonight", "evening", "afternoon", "night"}
_AM_WORDS = {"am", "morning"}
_DEADLINE = {"by", "before", "until", "till", "til"}
_DEPARTURE = {"departure", "departure's", "departs", "leaves", "takeoff", "boarding", "boards",
              "wheels"}
_GROUND = {"train", "bus", "ferry", "shuttle"}
# A number followed by a unit is a quantity, not a clock time ("at like 8 percent").
_UNITS_AFTER = {"percent", "%", "miles", "mile", "mi", "km", "kilometers", "kilometres",
                "minutes", "minute", "mins", "min", "hours", "hour", "hrs", "mph", "kph",
                "degrees", "dollars", "bucks", "gallons", "liters", "litres", "psi", "kwh",
                "kw", "feet", "ft", "meters", "metres", "people", "kids", "shots", "ounce",
                "ounces", "oz", "exits", "blocks", "stops", "lanes", "second", "seconds",
                "sec", "secs"}
# "than" compares times only after these ("no later than 5", not "quicker than 322").
_THAN_TIME = {"later", "earlier", "sooner", "after", "before"}
# "leave at 7:30": a departure time, not an arrival to meet.
_LEAVE = {"leave", "leaving", "depart", "departing", "head out", "start", "set off",
          "pull out"}
_EVENTS = {"meeting", "appointment", "reservation", "train", "bus", "show", "game", "class",
           "interview", "dinner", "lunch", "concert", "movie", "pickup", "check-in", "checkin",
           "doctor", "dentist", "boarding", "practice", "event", "call", "shift", "ferry",
           "recital", "rehearsal", "ceremony", "wedding", "party", "service", "match", "exam",
           "surgery", "session", "tour", "dropoff", "drop-off", "tee", "pick-up"}


@dataclass(frozen=True)
class TimeMention:
    start: int
    end: int
    hhmm: str
    role: str
    """"arrive_by", "flight" or "other"."""
    deadline: bool = False
    """Said as a deadline ("by", "before"), not only as an event's time ("my train's at")."""


def number_at(tokens: list[str], i: int) -> tuple[int, int] | None:
    """A number 0-59 at tokens[i] in words or digits: (value, tokens used) or None."""
    if i >= len(tokens):
        return None
    w = tokens[i]
    if w.isdigit() and len(w) <= 2:
        return int(w), 1
    if w in _TENS:
        if i + 1 < len(tokens) and tokens[i + 1] in _UNITS and 0 < _UNITS[tokens[i + 1]] < 10:
            return _TENS[w] + _UNITS[tokens[i + 1]], 2
        return _TENS[w], 1
    if w in _UNITS:
        return _UNITS[w], 1
    return None


def _to_24h(hour: int, minute: int, tail: list[str]) -> str | None:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    pm = bool(_PM_WORDS & set(tail))
    am = bool(_AM_WORDS & set(tail))
    if hour <= 12:
        if pm and hour < 12:
            hour += 12
        elif am and hour == 12:
            hour = 0
        elif not am and not pm and 1 <= hour <= 7:
            hour += 12
    return f"{hour:02d}:{minute:02d}"


def _clock_at(tokens: list[str], i: int) -> tuple[int, int, int] | None:
    """(hour, minute, tokens used) for a clock time starting at tokens[i]."""
    w = tokens[i]
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(am|pm)?", w)
    if m:
        return int(m.group(1)), int(m.group(2)), 1
    m = re.fullmatch(r"(\d{1,2})(am|pm)", w)
    if m:
        return int(m.group(1)), 0, 1
    if re.fullmatch(r"\d{3,4}", w) and int(w[-2:]) < 60 and int(w[:-2]) < 24:
        return int(w[:-2]), int(w[-2:]), 1                # "1730", "545"
    if w in ("noon", "midday"):
        return 12, 0, 1
    if w == "midnight":
        return 0, 0, 1
    if w in ("quarter", "half") and i + 2 < len(tokens) and tokens[i + 1] in ("past", "after",
                                                                             "to", "til", "till"):
        hour = number_at(tokens, i + 2)
        if hour is None or not 1 <= hour[0] <= 12:
            return None
        minutes = 15 if w == "quarter" else 30
        if tokens[i + 1] in ("to", "til", "till"):
            return (hour[0] - 1) or 12, 60 - minutes, 2 + hour[1]
        return hour[0], minutes, 2 + hour[1]
    if w == "half" and i + 1 < len(tokens):              # "half five": 5:30 (British)
        hour = number_at(tokens, i + 1)
        if hour is not None and 1 <= hour[0] <= 12:
            return hour[0], 30, 1 + hour[1]
    before = _minutes_to_or_past(tokens, i)
    if before is not None:
        return before
    hour = number_at(tokens, i)
    if hour is None or not 1 <= hour[0] <= 23:
        return None
    j = i + hour[1]
    if j < len(tokens) and tokens[j] in ("o'clock", "oclock"):
        return hour[0], 0, hour[1] + 1
    if j < len(tokens) and tokens[j] == "oh":         # "five oh five"
        minute = number_at(tokens, j + 1)
        if minute is not None and minute[0] < 10:
            return hour[0], minute[0], hour[1] + 1 + minute[1]
    minute = number_at(tokens, j)
    if minute is not None and minute[0] >= 10:
        return hour[0], minute[0], hour[1] + minute[1]
    return hour[0], 0, hour[1]


def _minutes_to_or_past(tokens: list[str], i: int) -> tuple[int, int, int] | None:
    """ "ten to seven" (6:50), "twenty five past four" (4:25), "5 after 6": minutes said
    before the hour they count from."""
    minutes = number_at(tokens, i)
    if minutes is None or not 1 <= minutes[0] <= 30:
        return None
    j = i + minutes[1]
    if j < len(tokens) and tokens[j] in ("minutes", "mins"):
        j += 1
    if j + 1 >= len(tokens) or tokens[j] not in ("to", "past", "after", "til", "till"):
        return None
    hour = number_at(tokens, j + 1)
    if hour is None or not 1 <= hour[0] <= 12:
        return None
    used = j + 1 + hour[1] - i
    if tokens[j] in ("past", "after"):
        return hour[0], minutes[0], used
    return (hour[0] - 1) or 12, 60 - minutes[0], used


def _event_before(cue: str, before: list[str]) -> bool:
    """ "the meeting is at 3", "get there at 5": an "at" time that is a deadline."""
    return cue in ("at", "is", "for", "around", "about") and bool(
        _EVENTS & set(before) or {"there", "arrive", "be", "land", "get", "closes", "close",
                                  "closing", "shuts", "picking", "collecting",
                                  "late", "time"} & set(before))


_LEFT_FROM = {"left", "leave", "leaving", "depart", "departing"}
_PLACE_LEFT = {"the", "my", "our", "office", "house", "home", "work", "hotel", "here", "now",
               "school", "gym"}


def _departure(tokens: list[str], i: int, cue: str) -> bool:
    """Whether the time after the cue at tokens[i] is when one sets off, not an arrival to
    meet: "leave at 7:30" (unless a flight was just named), or a verb of leaving with only
    the place left between it and the cue: "I left at 5", "leave the office at 5:15",
    "leave by four"."""
    if cue in ("at", "around", "about") and i > 0 and (tokens[i - 1] in _LEAVE or " ".join(
            tokens[max(0, i - 2):i]) in _LEAVE) and "flight" not in tokens[max(0, i - 6):i]:
        return True
    if cue not in ("at", "around", "about", "by", "before"):
        return False
    before = tokens[max(0, i - 3):i]
    return any(w in _LEFT_FROM and all(t in _PLACE_LEFT for t in before[k + 1:])
               for k, w in enumerate(before))


# Words that end a street name's run: "by 9 on Elm Street" is a time, then a street.
_NOT_STREET_NAME = {"on", "at", "in", "to", "the", "my", "our", "and", "or", "by", ",", "am",
                    "pm", "o'clock", "tonight", "sharp"}


def _house_number(tokens: list[str], j: int, end: int) -> bool:
    """Whether the number at tokens[j] is a house number: "at 312 Birch Lane", "by 410 Pine
    Street" name an address, not 3:12 or 16:10. One to three name words, then a street word."""
    if end != j + 1 or not tokens[j].isdigit():
        return False
    for k in range(end + 1, min(end + 4, len(tokens))):
        if tokens[k] in STREET_SUFFIXES:
            return all(t not in _NOT_STREET_NAME for t in tokens[end:k])
    return False


def find_times(tokens: list[str]) -> list[TimeMention]:
    """Every clock time that follows a time cue ("by", "at", "before", "flight ... at")."""
    found: list[TimeMention] = []
    i = 0
    while i < len(tokens):
        cue = tokens[i]
        if cue not in _DEADLINE and cue not in ("at", "for", "is", "leaves", "departs", "a", "an",
                                                "around", "about", "boards", "than", "my",
                                                "our", "the"):
            i += 1
            continue
        j = i + 1
        while j < len(tokens) and (tokens[j] in ("around", "about", "like", "roughly", "the",
                                                 "my", "our") or (
                tokens[j] == "a" and tokens[j + 1:j + 2] in (["quarter"], ["half"]))):
            j += 1                                    # "by a quarter to nine"
        if j >= len(tokens):
            break
        clock = _clock_at(tokens, j)
        if clock is None:
            i += 1
            continue
        hour, minute, used = clock
        end = j + used
        if (end < len(tokens) and tokens[end] in _UNITS_AFTER) or _house_number(tokens, j, end):
            i += 1
            continue
        if cue == "than" and (i == 0 or tokens[i - 1] not in _THAN_TIME):
            i += 1
            continue
        if _departure(tokens, i, cue):
            i = end                    # "leave at 7:30", "if I left at 5": when one sets off
            continue
        tail = tokens[end:end + 3]
        if "," in tail:                # "a meeting at 2, am I going to make it": "am" is a verb
            tail = tail[:tail.index(",")]
        # A bare small number after "a"/"for"/"is" is rarely a time ("a 2 shot", "for 2").
        bare = used == 1 and tokens[j].isalpha() and tokens[j] not in ("noon", "midnight")
        has_marker = bool((_PM_WORDS | _AM_WORDS) & set(tail)) or not bare or used > 1
        before = tokens[max(0, i - 6):i]
        role = "other"
        if "flight" in before or "plane" in before or "flight" in tail[:1] or "flights" in before:
            role = "flight"
        elif _DEPARTURE & set(before) and "airport" in tokens and not _GROUND & set(before):
            role = "flight"              # "airport, departure's at noon": the flight leaves
        elif cue in _DEADLINE or cue == "than" or _event_before(cue, before) or (
                cue in ("for", "at") and tail[:1] and tail[0] in _EVENTS and "the" in
                tokens[i + 1:j]):
            role = "arrive_by"           # "late for the 3:20 pickup"
        if cue in ("my", "our", "the"):
            # "my 6:40 flight", "our 10 o'clock meeting": a time that names its event.
            event = [w for w in tail if w not in ("am", "pm", "o'clock")][:1]
            if not event or event[0] not in _EVENTS | {"flight", "plane"}:
                i += 1
                continue
            role = "flight" if event[0] in ("flight", "plane") else "arrive_by"
        if cue in ("a", "an"):
            after = tokens[end:end + 2]
            named = [w for w in after if w not in ("am", "pm", "o'clock")][:1]
            if not after or not (after[0] in ("flight", "pm", "am") or (
                    named and named[0] in _EVENTS)):
                i += 1
                continue
            if "flight" in after:
                role = "flight"
            elif role == "other":
                role = "arrive_by"             # "I've got a 10:30 appointment at Cedars"
        if cue in ("is", "for", "leaves", "departs", "boards") and role == "other":
            i += 1
            continue
        if not has_marker and role == "other":
            i += 1
            continue
        hhmm = _to_24h(hour, minute, tail)
        if hhmm is None:
            i += 1
            continue
        if end < len(tokens) and tokens[end] in ("am", "pm", "o'clock"):
            end += 1
        if end < len(tokens) and tokens[end] == "tonight":
            end += 1
        found.append(TimeMention(i, end, hhmm, role, cue in _DEADLINE or cue == "than"))
        i = end
    return found
