"""The planner: exact = brute force on random problems; constraints; the real Harrisburg run."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from test_routing_support import harrisburg, pack_cache

from routing.candidates import find_candidates
from routing.errors import NoCandidatesError
from routing.messages import Category
from routing.pack import RegionPack
from routing.planner import Problem, brute_force, solve_exact, solve_heuristic
from routing.profile import Preferences
from routing.trip import StopSpec, TripRequest, plan_trip

__all__ = ["harrisburg", "pack_cache"]

TZ = timezone(timedelta(hours=-5))
DEPART = datetime(2026, 11, 25, 15, 0, tzinfo=TZ)
START = (40.2770, -76.8240)


def random_problem(rng: random.Random, groups: int, per: int, **kw: object) -> Problem:
    n = 2 + groups * per
    pts = [(rng.random() * 10, rng.random() * 10) for _ in range(n)]
    dur = [[abs(a[0] - b[0]) * 60 + abs(a[1] - b[1]) * 60 + rng.random() * 30 for b in pts]
           for a in pts]
    dist = [[d * 10 for d in row] for row in dur]
    idx = iter(range(2, n))
    gs = tuple(tuple(next(idx) for _ in range(per)) for _ in range(groups))
    return Problem(durations_s=dur, distances_m=dist, groups=gs, depart=DEPART,
                   dwell_s=tuple(60.0 for _ in gs), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(12))
def test_exact_equals_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    p = random_problem(rng, groups=rng.randint(1, 4), per=rng.randint(1, 4))
    exact, brute = solve_exact(p), brute_force(p)
    assert exact is not None and brute is not None
    assert exact.arrival_s == pytest.approx(brute.arrival_s)
    heur = solve_heuristic(p)
    assert heur is not None and heur.arrival_s >= exact.arrival_s - 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_exact_respects_opening_hours_and_refuel_range(seed: int) -> None:
    rng = random.Random(100 + seed)
    closed = set(rng.sample(range(2, 14), 4))

    def is_open(i: int, t: datetime) -> bool:
        return i not in closed or t > DEPART + timedelta(hours=5)

    p = random_problem(rng, groups=3, per=4, is_open=is_open, refuel_group=0,
                       range_m=float(rng.randint(4_000, 9_000)))
    exact, brute = solve_exact(p), brute_force(p)
    assert (exact is None) == (brute is None)
    if exact is not None and brute is not None:
        assert exact.arrival_s == pytest.approx(brute.arrival_s)
        assert not closed & set(exact.order)


def test_without_destination_the_route_ends_at_the_last_stop() -> None:
    p = random_problem(random.Random(7), groups=3, per=2, destination=None)
    exact, brute = solve_exact(p), brute_force(p)
    assert exact is not None and brute is not None
    assert exact.arrival_s == pytest.approx(brute.arrival_s)
    assert exact.arrival_s == pytest.approx(exact.etas_s[-1])


def test_harrisburg_airport_burger_coffee_is_optimal_over_its_candidates(
    harrisburg: RegionPack,
) -> None:
    ap = find_candidates(harrisburg.places, harrisburg.router, Category.AIRPORT, START, None,
                         DEPART)[0].place
    assert ap.place.name == "Capital City Airport"
    req = TripRequest(origin=START, depart=DEPART, destination=ap,
                      stops=(StopSpec(Category.BURGER, label="burger"),
                             StopSpec(Category.COFFEE, label="coffee")))
    plan = plan_trip(req, harrisburg.places, harrisburg.router)
    assert plan.exact
    got = [s.place.place.category for s in plan.stops]
    assert sorted(got) == [Category.BURGER, Category.COFFEE]
    assert plan.arrival > DEPART and plan.distance_m > 1000
    # Brute force over every burger and coffee place of the map, re-routed with Valhalla.
    burgers = harrisburg.places.all_of(Category.BURGER)
    coffees = harrisburg.places.all_of(Category.COFFEE)
    pts = [START, (ap.place.lat, ap.place.lon)] + [
        (m.place.lat, m.place.lon) for m in burgers + coffees]
    m = harrisburg.router.matrix(pts, pts)
    b_idx = tuple(range(2, 2 + len(burgers)))
    c_idx = tuple(range(2 + len(burgers), len(pts)))
    dwell = Preferences().stop_dwell_min * 60
    brute = brute_force(Problem(m.durations_s, m.distances_m, (b_idx, c_idx), DEPART,
                                dwell_s=(dwell, dwell)))
    assert brute is not None
    best = harrisburg.router.route([pts[0], *(pts[i] for i in brute.order), pts[1]])
    ours = plan.duration_s - 2 * dwell
    assert ours <= best.duration_s * 1.02 + 1.0


def test_range_too_short_adds_a_fuel_stop(harrisburg: RegionPack) -> None:
    ap = harrisburg.places.all_of(Category.AIRPORT)[0]
    req = TripRequest(origin=START, depart=DEPART, destination=ap,
                      stops=(StopSpec(Category.BURGER, label="burger"),), range_m=25_000.0)
    plan = plan_trip(req, harrisburg.places, harrisburg.router)
    assert plan.refuel_added == Category.FUEL
    cats = [s.place.place.category for s in plan.stops]
    assert Category.FUEL in cats and Category.BURGER in cats


def test_avoided_brands_and_excluded_brands_are_never_chosen(harrisburg: RegionPack) -> None:
    prefs = Preferences(avoid_brands=("McDonald's",))
    ap = harrisburg.places.all_of(Category.AIRPORT)[0]
    req = TripRequest(origin=START, depart=DEPART, destination=ap, preferences=prefs,
                      stops=(StopSpec(Category.BURGER, exclude_brands=("Wendy's",)),))
    plan = plan_trip(req, harrisburg.places, harrisburg.router)
    name = plan.stops[0].place.place.name or ""
    assert "McDonald" not in name and "Wendy" not in name


def test_no_such_category_on_the_map_is_said_not_invented(harrisburg: RegionPack) -> None:
    with pytest.raises(NoCandidatesError, match="no dry cleaner"):
        find_candidates(harrisburg.places, harrisburg.router, Category.DRY_CLEANING, START,
                        None, DEPART)


def test_candidates_are_ranked_by_road_detour(harrisburg: RegionPack) -> None:
    ap = harrisburg.places.all_of(Category.AIRPORT)[0]
    dest = (ap.place.lat, ap.place.lon)
    cands = find_candidates(harrisburg.places, harrisburg.router, Category.FUEL, START, dest,
                            DEPART)
    assert 1 <= len(cands) <= 10
    detours = [c.detour_s for c in cands]
    assert detours == sorted(detours)


def test_beyond_the_exact_limit_the_heuristic_answers() -> None:
    from routing.planner import EXACT_MAX_GROUPS, solve

    p = random_problem(random.Random(11), groups=EXACT_MAX_GROUPS + 1, per=3)
    s = solve(p)
    assert s is not None and not s.exact
    assert len(s.order) == EXACT_MAX_GROUPS + 1
    assert {i for g in p.groups for i in g} >= set(s.order)
