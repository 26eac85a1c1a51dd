"""The openrouteservice backend against recorded ORS replies, served by a real HTTP server.

tests/data/ors/recordings.json holds request bodies and replies in the exact shape of ORS v8
(written by bench/routing_ors_fixtures.py over the Harrisburg extract). The server answers a
request only if its path and JSON body equal a recorded one, so the tests also pin what the
client sends (ORS [lon, lat] order, sources/destinations, POI filters, VROOM jobs).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from routing.errors import OutsideMapError, RouterUnavailableError
from routing.messages import Avoid as RoadKind
from routing.messages import Category
from routing.ors_router import OrsRouter
from routing.router import Router

RECORDINGS = json.loads((Path(__file__).parent / "data" / "ors" / "recordings.json").read_text())
START = (40.2770, -76.8240)


def recorded(path_prefix: str, status: int = 200) -> dict[str, Any]:
    return next(r for r in RECORDINGS if r["path"].startswith(path_prefix)
                and r["status"] == status)


class Replay(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, Any]]] = []
    broken = False

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, body))
        match = next((r for r in RECORDINGS if r["path"] == self.path and r["body"] == body),
                     None)
        if type(self).broken:
            status, data = 502, b"<html>Bad gateway</html>"
        elif match is None:
            status, data = 500, json.dumps({"error": {"code": 9999,
                                                      "message": "unrecorded request"}}).encode()
        else:
            status, data = match["status"], json.dumps(match["reply"]).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture()
def ors() -> Iterator[OrsRouter]:
    Replay.seen = []
    Replay.broken = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield OrsRouter(base_url=f"http://127.0.0.1:{server.server_port}", timeout_s=5)
    server.shutdown()
    server.server_close()


def test_is_a_router(ors: OrsRouter) -> None:
    assert isinstance(ors, Router)


def test_directions_legs_and_geometry(ors: OrsRouter) -> None:
    rec = recorded("/v2/directions/")
    pts = [(c[1], c[0]) for c in rec["body"]["coordinates"]]
    r = ors.route(pts)
    assert Replay.seen[0][0] == "/v2/directions/driving-car/json"
    summary = rec["reply"]["routes"][0]["summary"]
    assert r.distance_m == summary["distance"] and r.duration_s == summary["duration"]
    assert len(r.legs) == len(pts) - 1
    assert sum(leg.duration_s for leg in r.legs) == pytest.approx(r.duration_s, abs=1)
    assert r.geometry[0] == pytest.approx(START, abs=1e-3)  # lat first, decoded polyline5
    assert r.geometry[-1] == pytest.approx(pts[-1], abs=1e-3)


def test_matrix_sources_by_targets(ors: OrsRouter) -> None:
    rec = recorded("/v2/matrix/")
    locs = [(c[1], c[0]) for c in rec["body"]["locations"]]
    src = [locs[i] for i in rec["body"]["sources"]]
    dst = [locs[i] for i in rec["body"]["destinations"]]
    m = ors.matrix(src, dst)
    assert len(m.durations_s) == len(src) and all(len(r) == len(dst) for r in m.durations_s)
    assert m.durations_s[0][0] == rec["reply"]["durations"][0][0]


def test_pois_are_places_with_osm_ids(ors: OrsRouter) -> None:
    found = ors.pois(Category.FAST_FOOD, START, radius_m=1500, limit=10)
    assert found and all(f.place.osm_type in ("node", "way") for f in found)
    assert all(f.place.category == Category.FAST_FOOD for f in found)
    assert Replay.seen[0][1]["filters"] == {"category_ids": [566]}


def test_optimization_order(ors: OrsRouter) -> None:
    rec = recorded("/optimization")
    stops = [(j["location"][1], j["location"][0]) for j in rec["body"]["jobs"]]
    end = rec["body"]["vehicles"][0]["end"]
    order = ors.optimize(START, stops, (end[1], end[0]))
    assert sorted(order) == list(range(len(stops)))
    jobs = [s["job"] for s in rec["reply"]["routes"][0]["steps"] if s["type"] == "job"]
    assert order == [j - 1 for j in jobs]


def test_road_preferences_go_out_as_avoid_features(ors: OrsRouter) -> None:
    recs = [r for r in RECORDINGS if r["path"].startswith("/v2/directions/")
            and r["status"] == 200 and len(r["body"]["coordinates"]) == 2]
    plain = next(r for r in recs if "options" not in r["body"])
    pts = [(c[1], c[0]) for c in plain["body"]["coordinates"]]
    fast = ors.route(pts)
    slow = ors.route(pts, [RoadKind.UNPAVED, RoadKind.HIGHWAYS])
    assert Replay.seen[1][1]["options"] == {"avoid_features": ["highways"]}
    # driving-car has no feature for unpaved roads: the route never claims to keep off them.
    assert fast.honours == frozenset() and slow.honours == {RoadKind.HIGHWAYS}
    assert slow.duration_s > fast.duration_s


def test_ors_errors_become_clear_routing_errors(ors: OrsRouter) -> None:
    with pytest.raises(OutsideMapError, match="no road near"):
        ors.route([START, (40.2370, -76.8815)])
    with pytest.raises(RouterUnavailableError, match=r"9999|unrecorded"):
        ors.route([START, (40.0, -76.0)])  # nothing recorded: the server says 500
    Replay.broken = True
    with pytest.raises(RouterUnavailableError):
        ors.matrix([START], [(40.27, -76.82)])


def test_unreachable_server_and_missing_key() -> None:
    with pytest.raises(RouterUnavailableError):
        OrsRouter(base_url="http://127.0.0.1:9", timeout_s=1).route([START, (40.27, -76.82)])
    with pytest.raises(RouterUnavailableError, match="API key"):
        OrsRouter()  # the public API needs a key
