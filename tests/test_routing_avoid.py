"""Road preferences (avoid highways, tolls, ferries, unpaved) on the real Harrisburg map.

Valhalla gets them as auto costing options and reports, from its trip summary, which the
route still uses; the planner carries what the route honours into `Route.avoid`.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from test_routing_support import harrisburg, pack_cache

from routing.errors import ProfileError
from routing.messages import Avoid as RoadKind
from routing.messages import Category
from routing.profile import Profile
from routing.router import Avoid, split_avoid
from routing.trip import TripRequest, plan_trip

__all__ = ["harrisburg", "pack_cache"]

START = (40.2770, -76.8240)
NOW = datetime.fromisoformat("2026-11-25T15:00:00-05:00")


def _airport(pack):  # type: ignore[no-untyped-def]
    return pack.places.all_of(Category.AIRPORT)[0]


@pytest.mark.slow
def test_valhalla_keeps_off_highways_when_asked(harrisburg) -> None:  # type: ignore[no-untyped-def]
    ap = _airport(harrisburg).place
    pts = [START, (ap.lat, ap.lon)]
    fast = harrisburg.router.route(pts)
    slow = harrisburg.router.route(pts, [RoadKind.HIGHWAYS])
    assert fast.honours == frozenset()  # nothing asked, nothing claimed
    assert slow.honours == {RoadKind.HIGHWAYS}
    # The highway route is the quick one here (I-83 / PA 283): keeping off it costs minutes.
    assert slow.duration_s > fast.duration_s + 60
    assert slow.geometry != fast.geometry
    # The matrix answers with the same costing, so the planner ranks on the same roads.
    m = harrisburg.router.matrix([START], [pts[1]], [RoadKind.HIGHWAYS])
    m0 = harrisburg.router.matrix([START], [pts[1]])
    assert m.durations_s[0][0] > m0.durations_s[0][0] + 60


@pytest.mark.slow
def test_each_kind_is_reported_honoured_only_when_kept(harrisburg) -> None:  # type: ignore[no-untyped-def]
    ap = _airport(harrisburg).place
    r = harrisburg.router.route([START, (ap.lat, ap.lon)], list(RoadKind))
    # This map's airport run has no tolls, ferries or unpaved roads to keep off.
    assert r.honours == set(RoadKind)


@pytest.mark.slow
def test_plan_carries_the_honoured_preferences_into_the_route(harrisburg) -> None:  # type: ignore[no-untyped-def]
    ap = _airport(harrisburg)
    hazard = Avoid(40.0, -76.0, 10.0)  # far away: areas and road kinds travel together
    req = TripRequest(origin=START, depart=NOW, destination=ap,
                      avoid=(hazard, RoadKind.TOLLS, RoadKind.HIGHWAYS, RoadKind.TOLLS))
    plan = plan_trip(req, harrisburg.places, harrisburg.router)
    assert plan.avoid == (RoadKind.HIGHWAYS, RoadKind.TOLLS) and plan.avoid_unmet == ()
    assert plan.to_route().avoid == (RoadKind.HIGHWAYS, RoadKind.TOLLS)
    plain = plan_trip(TripRequest(origin=START, depart=NOW, destination=ap),
                      harrisburg.places, harrisburg.router)
    assert plain.to_route().avoid == ()
    assert plan.duration_s > plain.duration_s + 60


def test_split_avoid_orders_and_dedups() -> None:
    area = Avoid(40.0, -76.0, 100.0)
    areas, kinds = split_avoid([RoadKind.UNPAVED, area, RoadKind.HIGHWAYS, RoadKind.UNPAVED])
    assert areas == (area,) and kinds == (RoadKind.HIGHWAYS, RoadKind.UNPAVED)


def test_profile_keeps_road_preferences_and_refuses_unknown_ones() -> None:
    p = Profile.from_dict({"preferences": {"avoid": ["tolls", "ferries"]}})
    assert p.preferences.avoid == (RoadKind.TOLLS, RoadKind.FERRIES)
    assert Profile().preferences.avoid == ()
    with pytest.raises(ProfileError, match=r"preferences\.avoid"):
        Profile.from_dict({"preferences": {"avoid": ["bridges"]}})
