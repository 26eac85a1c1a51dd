"""Route preferences said in a turn: which road kinds to avoid (highways, tolls, ferries,
unpaved), from normalised tokens.

A preference needs an avoiding word before the road kind ("avoid", "no", "without", "stay
off", "don't take") or a fixed phrase ("toll-free", "back roads"); the road kind alone
("take the highway") is not a preference. Said with "not avoid"/"okay to take" it is not
one either.
"""

from __future__ import annotations

import logging
import re

from routing.messages import Avoid

log = logging.getLogger(__name__)

_KINDS: tuple[tuple[Avoid, str], ...] = (
    (Avoid.HIGHWAYS, r"(the )?(high ?ways?|freeways?|interstates?|motorways?|expressways?|"
                     r"turnpikes?(?! tolls?)|i-?\d+|major roads|the big roads|"
                     # "don't take the 405", "without using the 110": a freeway by its number
                     r"the \d{2,3}(?! (am|pm|o'clock|minutes?|mins?|miles?|exits?|stops?|percent|"
                     r"hours?|blocks?|people|of))\b)"),
    (Avoid.TOLLS, r"(the )?(tolls?|toll roads?|toll bridges?|toll booths?|tollways?|"
                  r"paid roads|turnpike tolls?|bridge tolls?|([a-z]+ ){1,2}tolls?)"),
    (Avoid.FERRIES, r"(the )?(ferry|ferries|boat|ferry crossings?)"),
    (Avoid.UNPAVED, r"(the )?(unpaved|dirt|gravel|unsealed) ?(roads?|tracks?|paths?)?"),
)
_BEFORE = (r"(avoid|avoiding|avoids|without|no|skip|skipping|stay off|staying off|keep off|"
           r"keep me off|keep us off|not on|not via|not through|don't take|do not take|"
           r"don't use|do not use|dodge|dodging|bypass|bypassing|steer clear of|minus|"
           r"not the|anything but|other than|instead of|off|hate|rather not take|"
           r"don't want|do not want|don't go on|stay away from|(re)?route (me |us )?around|"
           r"go around|detour around|never take|never use|"
           r"(don't|do not|never) (put|send|route|take|drive) (me |us )?(on|onto|down|over|"
           r"through|via)|"
           r"without getting on|without going on|without taking|without using|not getting on|"
           r"nothing on|nothing that uses|no more|not any more|none of|not over|not across|"
           r"doesn't use|does not use|doesn't take|does not take|without paying|"
           r"(rather|prefer to|prefer) not (do|take|use|drive on|go on|go over)|"
           r"(no way|not) (i'm|im|i am) (getting on|taking|going on|using)|way around|"
           r"(rather|prefer to) (drive|go) around (than|instead of) (take|taking|use|using)|"
           r"than (take|taking|use|using)|(don't|do not|never) (end up|wind up) on|"
           r"(rather|prefer to|prefer) not (end up|wind up) on|nothing with|nothing|skips|"
           r"skipped|avoided|went around|going around|(doesn't|does not|don't|do not) touch|"
           r"steer (me |us )?clear of)"
           r"( any| all| all the| the| them| more| every| every single| both| both the|"
           r" any of the)?")
_FIXED = ((Avoid.TOLLS, r"toll ?free|no-toll|tollfree|free roads?"),
          (Avoid.HIGHWAYS, r"back ?roads|side streets|local roads|surface streets|"
                           r"country roads"),
          (Avoid.TOLLS, r"leave (the )?(turnpike|tolls?|toll roads?) out"),
          (Avoid.UNPAVED, r"(stay|stays|staying|keep|keeps|keeping|stick|sticks|sticking) "
                          r"(me |us )?(on|to) (the )?paved roads?|"
                          r"paved roads only|only paved roads|paved only"))
_NOT_A_PREFERENCE = re.compile(r"\b(don't|do not|no need to|not) (avoid|skip)\b|"
                               r"\bthere('s| is| are| will be) no more\b|"
                               r"\b(fine|okay|ok|happy) (to take|with|taking)\b")


def _compile() -> tuple[tuple[Avoid, re.Pattern[str]], ...]:
    out = [(kind, re.compile(rf"\b{_BEFORE} {pat}\b")) for kind, pat in _KINDS]
    out += [(kind, re.compile(rf"\b({pat})\b")) for kind, pat in _FIXED]
    return tuple(out)


_PATTERNS = _compile()


def avoid_in(tokens: list[str]) -> tuple[Avoid, ...]:
    """The road kinds to avoid, in a fixed order (the contract's vocabulary order)."""
    plain = " ".join(t for t in tokens if t != ",")
    listed = " ".join(tokens)                  # commas kept: "avoid highways, tolls, all of it"
    if _NOT_A_PREFERENCE.search(plain):
        return ()
    found = {kind for kind, p in _PATTERNS if p.search(plain)}
    # "no highways or tolls", "avoid tolls and ferries": a list continues its verb.
    for kind, pat in _KINDS:
        if kind not in found and found and re.search(rf"(\b(and|or|nor)|,) {pat}\b", listed) and \
                re.search(rf"\b{_BEFORE} .*(\b(and|or|nor)|,) {pat}\b", listed):
            found.add(kind)
    # "avoiding highways, gravel's fine": a kind said to be fine is no preference.
    found -= {kind for kind, pat in _KINDS if re.search(
        rf"\b{pat}('s| is| are) (fine|ok|okay|alright|all right|no problem)\b", plain)}
    return tuple(k for k in Avoid if k in found)
