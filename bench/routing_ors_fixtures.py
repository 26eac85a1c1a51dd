"""Write tests/data/ors/recordings.json: openrouteservice replies for the ORS backend tests.

The public ORS API cannot be reached from here, so this script plays an ORS instance over
the Harrisburg extract: a local HTTP server answers the `openrouteservice` client's real
requests with bodies in the exact shape of ORS v8 (directions /json, matrix, openpoiservice
/pois, VROOM /optimization, and the error body with ORS's own error codes), the numbers
computed with Valhalla on the same map. Each request body and reply is recorded; the tests
replay them from a real local HTTP server and check the client sends the same requests.

    .venv/bin/python bench/routing_ors_fixtures.py [/work/shared/maps/harrisburg.osm.pbf]
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from routing.errors import RoutingError
from routing.messages import Avoid as RoadKind
from routing.messages import Category
from routing.ors_router import ORS_FEATURES, ORS_POI_CATEGORIES, OrsRouter
from routing.pack import RegionPack
from routing.places_build import haversine_m

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "ors" / "recordings.json"
ENGINE = {"version": "8.0.0", "build_date": "2024-03-21T13:55:54Z",
          "graph_date": "2024-11-20T09:12:01Z"}
ATTRIBUTION = "openrouteservice.org | OpenStreetMap contributors"
START = (40.2770, -76.8240)


def encode5(points: list[tuple[float, float]]) -> str:
    out: list[str] = []
    last = (0, 0)
    for lat, lon in points:
        cur = (round(lat * 1e5), round(lon * 1e5))
        for d in (cur[0] - last[0], cur[1] - last[1]):
            v = ~(d << 1) if d < 0 else d << 1
            while v >= 0x20:
                out.append(chr((0x20 | (v & 0x1F)) + 63))
                v >>= 5
            out.append(chr(v + 63))
        last = cur
    return "".join(out)


def error(code: int, message: str) -> tuple[int, dict[str, Any]]:
    return 404, {"error": {"code": code, "message": message},
                 "info": {"engine": {k: ENGINE[k] for k in ("version", "build_date")},
                          "timestamp": int(time.time() * 1000)}}


class FakeOrs:
    def __init__(self, pack: RegionPack) -> None:
        self.pack = pack

    def directions(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        coords = body["coordinates"]
        pts = [(c[1], c[0]) for c in coords]
        for i, p in enumerate(pts):
            if self.pack.router.snap(p) is None:
                return error(2010, "Could not find routable point within a radius of 350.0 "
                             f"meters of specified coordinate {i}: {p[1]:.7f} {p[0]:.7f}.")
        # avoid_features are exclusions in ORS; Valhalla's strongest dislike plays them here.
        features = (body.get("options") or {}).get("avoid_features", [])
        kinds = [k for k, f in ORS_FEATURES.items() if f in features]
        try:
            r = self.pack.router.route(pts, kinds)
        except RoutingError:
            return error(2009, "Route could not be found - Unable to find a route between "
                         "points 0 and 1.")
        geo = [(round(a, 5), round(b, 5)) for a, b in r.geometry]
        lons, lats = [g[1] for g in geo], [g[0] for g in geo]
        bbox = [min(lons), min(lats), max(lons), max(lats)]
        segments = [{"distance": round(leg.distance_m, 1), "duration": round(leg.duration_s, 1),
                     "steps": [{"distance": round(leg.distance_m, 1),
                                "duration": round(leg.duration_s, 1), "type": 11,
                                "instruction": "Head on", "name": "-", "way_points": [0, 1]}]}
                    for leg in r.legs]
        summary = {"distance": round(r.distance_m, 1), "duration": round(r.duration_s, 1)}
        route = {"summary": summary,
                 "segments": segments, "bbox": bbox, "geometry": encode5(geo),
                 "way_points": [0, len(geo) - 1]}
        query: dict[str, Any] = {"coordinates": coords, "profile": "driving-car", "format": "json"}
        if body.get("options"):  # ORS echoes the options it was given
            query["options"] = body["options"]
        return 200, {"bbox": bbox, "routes": [route], "metadata": {
            "attribution": ATTRIBUTION, "service": "routing", "timestamp": int(time.time() * 1000),
            "query": query, "engine": ENGINE}}

    def matrix(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        locs = body["locations"]
        src = [int(i) for i in body.get("sources", range(len(locs)))]
        dst = [int(i) for i in body.get("destinations", range(len(locs)))]
        s_pts = [(locs[i][1], locs[i][0]) for i in src]
        d_pts = [(locs[i][1], locs[i][0]) for i in dst]
        m = self.pack.router.matrix(s_pts, d_pts)

        def snapped(p: tuple[float, float]) -> dict[str, Any]:
            sp = self.pack.router.snap(p) or p
            return {"location": [round(sp[1], 6), round(sp[0], 6)],
                    "snapped_distance": round(haversine_m(p[0], p[1], sp[0], sp[1]), 2)}

        def rnd(grid: Any) -> list[list[float | None]]:
            return [[None if v is None else round(v, 2) for v in row] for row in grid]

        return 200, {"durations": rnd(m.durations_s), "distances": rnd(m.distances_m),
                     "destinations": [snapped(p) for p in d_pts],
                     "sources": [snapped(p) for p in s_pts],
                     "metadata": {"attribution": ATTRIBUTION, "service": "matrix",
                                  "timestamp": int(time.time() * 1000),
                                  "query": {"locations": locs, "profile": "driving-car",
                                            "responseType": "json",
                                            "sources": [str(i) for i in src],
                                            "destinations": [str(i) for i in dst],
                                            "metrics": body.get("metrics"),
                                            "units": body.get("units")},
                                  "engine": ENGINE}}

    def pois(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        lon, lat = body["geometry"]["geojson"]["coordinates"]
        radius = float(body["geometry"].get("buffer", 0))
        ids = set(body["filters"]["category_ids"])
        # 566 serves burger and pizza too: the fixture plays the fast_food category itself.
        cat = Category.FAST_FOOD if ids == {566} else next(
            c for c, v in ORS_POI_CATEGORIES.items() if set(v) == ids)
        feats = []
        for m in self.pack.places.near(cat, lat, lon, radius_m=radius, limit=body.get("limit", 20)):
            p = m.place
            amenity = {Category.FAST_FOOD: "fast_food", Category.COFFEE: "cafe",
                       Category.FUEL: "fuel"}.get(cat, cat.value)
            cid = ORS_POI_CATEGORIES[cat][0]
            tags = {"name": p.name} if p.name else {}
            if m.opening_hours:
                tags["opening_hours"] = m.opening_hours
            if m.brand:
                tags["brand"] = m.brand
            props = {"osm_id": p.osm_id, "osm_type": 1 if p.osm_type == "node" else 2,
                     "distance": round(haversine_m(lat, lon, p.lat, p.lon), 2),
                     "category_ids": {str(cid): {"category_name": amenity,
                                                 "category_group": "sustenance"}},
                     "osm_tags": tags}
            feats.append({"type": "Feature", "properties": props,
                          "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]}})
        return 200, {"type": "FeatureCollection", "bbox": [lon, lat, lon, lat], "features": feats,
                     "information": {"attribution": ATTRIBUTION, "version": "0.1",
                                     "timestamp": int(time.time()), "query": body}}

    def optimization(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        jobs = body["jobs"]
        veh = body["vehicles"][0]
        start, end = veh["start"], veh.get("end")
        pts = [(start[1], start[0])] + [(j["location"][1], j["location"][0]) for j in jobs]
        if end:
            pts.append((end[1], end[0]))
        m = self.pack.router.matrix(pts, pts).durations_s
        best = None
        for perm in itertools.permutations(range(1, len(jobs) + 1)):
            seq = [0, *perm] + ([len(pts) - 1] if end else [])
            t = sum(m[a][b] or 1e9 for a, b in itertools.pairwise(seq))
            if best is None or t < best[0]:
                best = (t, seq)
        assert best is not None
        steps, t = [], 0.0
        seq = best[1]
        for k, idx in enumerate(seq):
            if k:
                t += m[seq[k - 1]][idx] or 0.0
            kind = "start" if k == 0 else "end" if (end and k == len(seq) - 1) else "job"
            step: dict[str, Any] = {"type": kind, "location": [pts[idx][1], pts[idx][0]],
                                    "setup": 0, "service": 0, "waiting_time": 0,
                                    "arrival": round(t), "duration": round(t), "violations": []}
            if kind == "job":
                step["id"] = jobs[idx - 1]["id"]
                step["job"] = jobs[idx - 1]["id"]
            steps.append(step)
        cost = round(best[0])
        summary = {"cost": cost, "routes": 1, "unassigned": 0, "setup": 0, "service": 0,
                   "duration": cost, "waiting_time": 0, "priority": 0, "violations": [],
                   "computing_times": {"loading": 12, "solving": 1, "routing": 0}}
        return 200, {"code": 0, "summary": summary, "unassigned": [], "routes": [
            {"vehicle": veh["id"], "cost": cost, "setup": 0, "service": 0, "duration": cost,
             "waiting_time": 0, "priority": 0, "steps": steps, "violations": []}]}


def main() -> None:
    pbf = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/maps/harrisburg.osm.pbf")
    fake = FakeOrs(RegionPack.open(pbf))
    recordings: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            path = self.path
            if path.startswith("/v2/directions/"):
                status, reply = fake.directions(body)
            elif path.startswith("/v2/matrix/"):
                status, reply = fake.matrix(body)
            elif path == "/pois":
                status, reply = fake.pois(body)
            else:
                status, reply = fake.optimization(body)
            recordings.append({"path": path, "body": body, "status": status, "reply": reply})
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ors = OrsRouter(base_url=f"http://127.0.0.1:{server.server_port}")
    ap = fake.pack.places.all_of(Category.AIRPORT)[0].place
    five = fake.pack.places.search_name("Five Guys")[0].place
    ors.route([START, (five.lat, five.lon), (ap.lat, ap.lon)])
    ors.route([START, (ap.lat, ap.lon)])
    ors.route([START, (ap.lat, ap.lon)], [RoadKind.HIGHWAYS])
    cands = [(m.place.lat, m.place.lon) for m in fake.pack.places.near(Category.FUEL, *START)[:3]]
    ors.matrix([START, (ap.lat, ap.lon)], cands)
    ors.pois(Category.FAST_FOOD, START, radius_m=1500, limit=10)
    ors.optimize(START, cands, (ap.lat, ap.lon))
    with contextlib.suppress(RoutingError):  # recorded: ORS error 2010
        ors.route([START, (40.2370, -76.8815)])
    server.shutdown()
    OUT.write_text(json.dumps(recordings, indent=1) + "\n")
    print(f"wrote {len(recordings)} recordings to {OUT}")


if __name__ == "__main__":
    main()
