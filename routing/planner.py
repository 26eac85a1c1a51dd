"""The multi-stop planner: one place per requested stop, in the order that arrives soonest.

Pure search over a travel-time matrix (no I/O); routing.trip builds the matrix and re-routes
the answer. Points are matrix indices: the origin, the destination (optional) and every
candidate of every stop group.

Exact: dynamic programming over (set of groups visited, last candidate), Held-Karp style,
keeping the earliest departure from each state. With opening hours this is exact as long as
arriving earlier is never worse, which holds because a closed place is simply not allowed
(no waiting), and with a refuel group the distance driven before refuelling must stay within
range (a state that has not refuelled and is already out of range is dropped). It is used for
up to EXACT_MAX_GROUPS groups of up to EXACT_MAX_CANDIDATES candidates each:
2^6 * 60 * 60 = 230k transitions, a few hundred ms in Python at the limit.

Heuristic beyond that: two starting plans, (1) the same DP over only the HEURISTIC_KEEP
smallest-detour candidates of each group (2^8 * 24 * 24 = 147k transitions for 8 stops) and
(2) cheapest insertion of each group's smallest-detour candidate, each improved by local
search until no move helps: swap two stops, move one stop elsewhere (or-opt), replace a
stop's place by another of its group. Its gap to the exact answer is measured by
`copilot bench routing` on the cases where both run (reported there).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

log = logging.getLogger(__name__)

EXACT_MAX_GROUPS = 6
EXACT_MAX_CANDIDATES = 10
HEURISTIC_KEEP = 3
HEURISTIC_DP_MAX_GROUPS = 10
INF = math.inf

OpenCheck = Callable[[int, datetime], bool]
"""(matrix index, local arrival time) -> may the driver stop there then?"""


@dataclass(frozen=True)
class Problem:
    durations_s: Sequence[Sequence[float | None]]
    distances_m: Sequence[Sequence[float | None]]
    groups: tuple[tuple[int, ...], ...]
    """Matrix indices of the candidates of each stop group."""
    depart: datetime
    origin: int = 0
    destination: int | None = 1
    dwell_s: tuple[float, ...] = ()
    """Seconds spent at a stop of each group (default 0)."""
    is_open: OpenCheck = field(default=lambda _i, _t: True)
    refuel_group: int | None = None
    """A group that restores range; before it, the distance driven must stay <= range_m."""
    range_m: float | None = None


@dataclass(frozen=True)
class Solution:
    order: tuple[int, ...]
    """Matrix indices of the chosen stops, in visiting order."""
    arrival_s: float
    """Seconds from departure to arrival at the destination (or at the last stop)."""
    distance_m: float
    exact: bool
    etas_s: tuple[float, ...] = ()
    """Arrival at each stop, seconds from departure."""


def _cell(m: Sequence[Sequence[float | None]], i: int, j: int) -> float:
    if i == j:
        return 0.0
    v = m[i][j]
    return INF if v is None else float(v)


def evaluate(p: Problem, order: Sequence[int], group_of: dict[int, int]) -> Solution | None:
    """Time and distance of visiting order (matrix indices); None if infeasible."""
    t = dist = 0.0
    here = p.origin
    refuelled = p.refuel_group is None or p.range_m is None
    etas = []
    for idx in order:
        t += _cell(p.durations_s, here, idx)
        dist += _cell(p.distances_m, here, idx)
        if not math.isfinite(t) or not p.is_open(idx, p.depart + timedelta(seconds=t)):
            return None
        g = group_of[idx]
        if not refuelled and p.range_m is not None and dist > p.range_m:
            return None
        if g == p.refuel_group:
            refuelled = True
        etas.append(t)
        t += p.dwell_s[g] if g < len(p.dwell_s) else 0.0
        here = idx
    if p.destination is not None:
        t += _cell(p.durations_s, here, p.destination)
        dist += _cell(p.distances_m, here, p.destination)
        if not refuelled and p.range_m is not None and dist > p.range_m:
            return None
    elif order:
        t = etas[-1]
    if not math.isfinite(t):
        return None
    return Solution(tuple(order), t, dist, exact=False, etas_s=tuple(etas))


def _group_of(p: Problem) -> dict[int, int]:
    return {idx: g for g, members in enumerate(p.groups) for idx in members}


def solve_exact(p: Problem) -> Solution | None:
    """Held-Karp over (visited groups, last candidate); earliest departure per state."""
    n = len(p.groups)
    group_of = _group_of(p)
    dwell = [p.dwell_s[g] if g < len(p.dwell_s) else 0.0 for g in range(n)]
    limited = p.refuel_group is not None and p.range_m is not None
    fuel_bit = 1 << p.refuel_group if p.refuel_group is not None else 0
    # state -> (departure time, distance so far, previous state)
    best: dict[tuple[int, int], tuple[float, float, tuple[int, int] | None]] = {}
    for g, members in enumerate(p.groups):
        for c in members:
            t = _cell(p.durations_s, p.origin, c)
            d = _cell(p.distances_m, p.origin, c)
            if not math.isfinite(t) or not p.is_open(c, p.depart + timedelta(seconds=t)):
                continue
            if limited and p.range_m is not None and d > p.range_m:
                continue
            best[(1 << g, c)] = (t + dwell[g], d, None)
    for mask in sorted(range(1, 1 << n), key=int.bit_count):
        for last in [k for k in best if k[0] == mask]:
            t0, d0, _ = best[last]
            for g in range(n):
                if mask & (1 << g):
                    continue
                nmask = mask | (1 << g)
                for c in p.groups[g]:
                    t = t0 + _cell(p.durations_s, last[1], c)
                    if not math.isfinite(t):
                        continue
                    d = d0 + _cell(p.distances_m, last[1], c)
                    if limited and not (mask & fuel_bit) and p.range_m is not None \
                            and d > p.range_m:
                        continue
                    prev = best.get((nmask, c))
                    if prev is not None and prev[0] <= t + dwell[g]:
                        continue
                    if not p.is_open(c, p.depart + timedelta(seconds=t)):
                        continue
                    best[(nmask, c)] = (t + dwell[g], d, last)
    full = (1 << n) - 1
    finals: list[tuple[float, tuple[int, int]]] = []
    for key, (t, d, _) in best.items():
        if key[0] != full:
            continue
        if p.destination is not None:
            total = t + _cell(p.durations_s, key[1], p.destination)
            dist = d + _cell(p.distances_m, key[1], p.destination)
            if limited and not (full & fuel_bit) and p.range_m is not None and dist > p.range_m:
                continue
        else:
            total = t
        if math.isfinite(total):
            finals.append((total, key))
    if not finals:
        return None
    _, key = min(finals)
    order: list[int] = []
    cur: tuple[int, int] | None = key
    while cur is not None:
        order.append(cur[1])
        cur = best[cur][2]
    order.reverse()
    sol = evaluate(p, order, group_of)
    if sol is None:  # cannot happen: the DP only keeps feasible states
        log.error("exact plan failed re-evaluation: %s", order)
        return None
    return Solution(sol.order, sol.arrival_s, sol.distance_m, True, sol.etas_s)


def _local_search(p: Problem, order: list[int], group_of: dict[int, int],
                  max_rounds: int) -> Solution | None:
    current = evaluate(p, order, group_of)
    cur_t = current.arrival_s if current else INF
    for _ in range(max_rounds):
        improved = False
        moves: list[list[int]] = []
        for i, j in itertools.combinations(range(len(order)), 2):
            o = order.copy()
            o[i], o[j] = o[j], o[i]
            moves.append(o)
        for i in range(len(order)):
            rest = order[:i] + order[i + 1:]
            moves.extend([*rest[:j], order[i], *rest[j:]] for j in range(len(order)) if j != i)
            for c in p.groups[group_of[order[i]]]:
                if c != order[i]:
                    moves.append([*order[:i], c, *order[i + 1:]])
        for o in moves:
            s = evaluate(p, o, group_of)
            if s is not None and s.arrival_s < cur_t - 1e-6:
                order, current, cur_t, improved = o, s, s.arrival_s, True
        if not improved:
            break
    return current


def solve_heuristic(p: Problem, max_rounds: int = 50) -> Solution | None:
    """Two starts, each polished by local search (swap / move / replace); the better wins.

    Start 1: the exact DP restricted to the HEURISTIC_KEEP smallest-detour candidates of each
    group (small enough for 8 groups). Start 2: cheapest insertion of each group's
    smallest-detour candidate.
    """
    group_of = _group_of(p)
    end = p.destination

    def detour(c: int) -> float:
        back = _cell(p.durations_s, c, end) if end is not None else 0.0
        return _cell(p.durations_s, p.origin, c) + back

    starts: list[list[int]] = []
    if len(p.groups) <= HEURISTIC_DP_MAX_GROUPS:
        pruned = tuple(tuple(sorted(g, key=detour)[:HEURISTIC_KEEP]) for g in p.groups)
        reduced = solve_exact(Problem(
            p.durations_s, p.distances_m, pruned, p.depart, p.origin, p.destination, p.dwell_s,
            p.is_open, p.refuel_group, p.range_m))
        if reduced is not None:
            starts.append(list(reduced.order))
    order: list[int] = []
    for members in sorted(p.groups, key=lambda m: min(detour(c) for c in m)):
        pick = min(members, key=detour)
        options = [[*order[:i], pick, *order[i:]] for i in range(len(order) + 1)]
        scored = [(s.arrival_s, o) for o in options if (s := evaluate(p, o, group_of))]
        order = min(scored)[1] if scored else [*order, pick]
    starts.append(order)
    best: Solution | None = None
    for start in starts:
        s = _local_search(p, start, group_of, max_rounds)
        if s is not None and (best is None or s.arrival_s < best.arrival_s):
            best = s
    return best


def solve(p: Problem) -> Solution | None:
    """Exact when small enough (see module docstring), else the heuristic."""
    if not p.groups:
        return evaluate(p, [], {})
    small = len(p.groups) <= EXACT_MAX_GROUPS and all(
        len(g) <= EXACT_MAX_CANDIDATES for g in p.groups)
    return solve_exact(p) if small else solve_heuristic(p)


def brute_force(p: Problem) -> Solution | None:
    """Every order x every candidate combination (for tests and benchmarks only)."""
    group_of = _group_of(p)
    best: Solution | None = None
    for perm in itertools.permutations(range(len(p.groups))):
        for combo in itertools.product(*(p.groups[g] for g in perm)):
            s = evaluate(p, combo, group_of)
            if s is not None and (best is None or s.arrival_s < best.arrival_s):
                best = s
    return best
