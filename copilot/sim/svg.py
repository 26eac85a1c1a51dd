"""Inline SVG for the report: the region's roads with the route, and time-series plots.

Everything is drawn from data in hand (the .pbf and the run log): no tiles, no web fonts,
no scripts from elsewhere, so the page renders offline. Coordinates are rounded to whole
pixels and points that fall on the same pixel are dropped, which keeps the page small.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape

from copilot.sim.mapdata import MapData
from copilot.sim.record import Report, served_stops
from routing.messages import RoutedPlace

MAP_W = 760
MAP_MAX_H = 640
LINK_COLOURS = {"good": "#4caf50", "degraded": "#ffb300", "none": "#e53935"}
ROAD_STYLE = {1: ("#f2a65a", 3.0), 2: ("#f6c177", 2.2), 3: ("#c9c9c9", 1.6), 4: ("#dddddd", 1.0),
              5: ("#e8e8e8", 0.7)}


class Projection:
    """Equirectangular around the view's centre; y grows downwards."""

    def __init__(self, bbox: tuple[float, float, float, float], width: int = MAP_W,
                 max_height: int = MAP_MAX_H) -> None:
        self.min_lat, self.min_lon, self.max_lat, self.max_lon = bbox
        self.k = math.cos(math.radians((self.min_lat + self.max_lat) / 2))
        span_x = max((self.max_lon - self.min_lon) * self.k, 1e-6)
        span_y = max(self.max_lat - self.min_lat, 1e-6)
        self.scale = min(width / span_x, max_height / span_y)
        self.width = max(200, round(span_x * self.scale))
        self.height = max(120, round(span_y * self.scale))

    def xy(self, lat: float, lon: float) -> tuple[int, int]:
        return (round((lon - self.min_lon) * self.k * self.scale),
                round((self.max_lat - lat) * self.scale))

    def inside(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon

    def metres_to_px(self, m: float) -> float:
        return m / 111_320.0 * self.scale


def view_bbox(points: Iterable[tuple[float, float]], pad: float = 0.12, min_span_deg: float = 0.01,
              min_aspect: float = 1.1) -> tuple[float, float, float, float]:
    pts = list(points)
    lats = [p[0] for p in pts]
    lons = [p[1] for p in pts]
    lo_lat, hi_lat, lo_lon, hi_lon = min(lats), max(lats), min(lons), max(lons)
    dlat = max(hi_lat - lo_lat, min_span_deg) * pad + (min_span_deg if hi_lat == lo_lat else 0)
    dlon = max(hi_lon - lo_lon, min_span_deg) * pad + (min_span_deg if hi_lon == lo_lon else 0)
    lo_lat, hi_lat, lo_lon, hi_lon = lo_lat - dlat, hi_lat + dlat, lo_lon - dlon, hi_lon + dlon
    # at least as wide as tall (landscape-ish), so a north-south drive still shows its region
    k = math.cos(math.radians((lo_lat + hi_lat) / 2))
    want_lon = (hi_lat - lo_lat) * min_aspect / k
    if hi_lon - lo_lon < want_lon:
        extra = (want_lon - (hi_lon - lo_lon)) / 2
        lo_lon, hi_lon = lo_lon - extra, hi_lon + extra
    return (lo_lat, lo_lon, hi_lat, hi_lon)


def _path(proj: Projection, line: Sequence[tuple[float, float]]) -> str:
    out: list[str] = []
    last: tuple[int, int] | None = None
    for lat, lon in line:
        p = proj.xy(lat, lon)
        if p != last:
            out.append(f"{'M' if not out else 'L'}{p[0]} {p[1]}")
            last = p
    return "".join(out) if len(out) > 1 else ""


def _stop_marker(proj: Projection, p: RoutedPlace, number: int, kind: str) -> str:
    """A numbered circle and its label; the destination is a filled star, a stop already
    served is dashed and says so."""
    x, y = proj.xy(p.lat, p.lon)
    label = str(p.name or p.saved or (p.category or ""))
    fill, text_fill, mark, dash = {
        "visited": ("#e3ebf7", "#1e63d6", str(number), ' stroke-dasharray="3 2"'),
        "destination": ("#1e63d6", "#fff", "★", ""),
        "ahead": ("#fff", "#1e63d6", str(number), "")}[kind]
    if kind == "visited":
        label += " (visited)"
    left = x < proj.width - 140  # labels near the right edge go to the left of the circle
    return (f'<g class="stop{" visited" if kind == "visited" else ""}"><circle cx="{x}" '
            f'cy="{y}" r="9" fill="{fill}" stroke="#1e63d6" stroke-width="2"{dash}/>'
            f'<text x="{x}" y="{y + 4}" font-size="10" text-anchor="middle" '
            f'fill="{text_fill}">{mark}</text>'
            f'<text x="{x + 12 if left else x - 12}" y="{y - 8}" font-size="12" '
            f'text-anchor="{"start" if left else "end"}" paint-order="stroke" stroke="#fff" '
            f'stroke-width="3">{escape(label)}</text></g>')


def map_svg(report: Report, data: MapData) -> str:
    """The region's roads inside the drive's view, the routes, the track, stops and hazards."""
    route = report.final_route
    routes = [t.route() for t in report.turns]
    proj = projection_for(report, data)
    parts = [f'<svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {proj.width} '
             f'{proj.height}" width="{proj.width}" height="{proj.height}" role="img" '
             f'aria-label="route map"><rect width="100%" height="100%" fill="#fbfaf7"/>']
    for rank in sorted(ROAD_STYLE, reverse=True):  # minor roads first, major on top
        colour, width = ROAD_STYLE[rank]
        ds = [_path(proj, line) for r, line in data.roads
              if r == rank and any(proj.inside(*p) for p in line)]
        ds = [d for d in ds if d]
        if ds:
            parts.append(f'<path class="road r{rank}" d="{"".join(ds)}" fill="none" '
                         f'stroke="{colour}" stroke-width="{width}" stroke-linecap="round"/>')
    for r in routes:
        if r is not None and r is not route and (d := _path(proj, r.geometry)):
            parts.append(f'<path class="old-route" d="{d}" fill="none" stroke="#7e57c2" '
                         f'stroke-width="2" stroke-dasharray="6 4" opacity="0.6"/>')
    if route is not None and (d := _path(proj, route.geometry)):
        parts.append(f'<path id="route" d="{d}" fill="none" stroke="#1e63d6" stroke-width="4" '
                     f'opacity="0.85"/>')
    if d := _path(proj, [(s.lat, s.lon) for s in report.samples]):
        parts.append(f'<path id="track" d="{d}" fill="none" stroke="#2e7d32" stroke-width="2"/>')
    for h in report.hazards:
        x, y = proj.xy(h.event.lat, h.event.lon)
        r_px = max(6.0, proj.metres_to_px(h.event.radius_m))
        parts.append(f'<g class="hazard"><circle cx="{x}" cy="{y}" r="{r_px:.1f}" '
                     f'fill="#e53935" fill-opacity="0.25" stroke="#e53935" stroke-width="2"/>'
                     f'<text x="{x + r_px + 3:.0f}" y="{y + 4}" font-size="12" fill="#b71c1c">'
                     f'{escape(h.event.kind)}</text></g>')
    for lat, lon, label in ruled_out(report, data):
        x, y = proj.xy(lat, lon)
        parts.append(f'<g class="ruled-out"><circle cx="{x}" cy="{y}" r="7" fill="#eee" '
                     f'stroke="#757575" stroke-width="2"/><path d="M{x - 4} {y - 4}L{x + 4} '
                     f'{y + 4}M{x + 4} {y - 4}L{x - 4} {y + 4}" stroke="#757575" '
                     f'stroke-width="2"/><text x="{x + 10}" y="{y + 16}" font-size="11" '
                     f'fill="#555">{escape(label)} (ruled out)</text></g>')
    for lat, lon, label in suggested(report):
        x, y = proj.xy(lat, lon)
        parts.append(f'<g class="suggested"><rect x="{x - 5}" y="{y - 5}" width="10" '
                     f'height="10" transform="rotate(45 {x} {y})" fill="#ff6f00"/>'
                     f'<text x="{x + 9}" y="{y + 4}" font-size="11" fill="#e65100">'
                     f'{escape(label)} (suggested)</text></g>')
    ahead = [*route.stops, route.destination] if route is not None else []
    # a re-plan after a stop lists only the stops still ahead; the drive did serve the others
    visited = served_stops(report.arrivals, ahead)
    for i, p in enumerate([*visited, *ahead], start=1):
        kind = ("visited" if i <= len(visited) else
                "destination" if i == len(visited) + len(ahead) else "ahead")
        parts.append(_stop_marker(proj, p, i, kind))
    if report.samples:
        s0 = report.samples[0]
        x, y = proj.xy(s0.lat, s0.lon)
        parts.append(f'<rect class="start" x="{x - 6}" y="{y - 6}" width="12" height="12" '
                     f'fill="#2e7d32"/>')
        parts.append(f'<circle id="car" cx="{x}" cy="{y}" r="6" fill="#ff6f00" '
                     f'stroke="#fff" stroke-width="2"/>')
    parts.append(f'<text x="{proj.width - 6}" y="{proj.height - 6}" font-size="10" '
                 f'text-anchor="end" fill="#555">{escape(report.map_attribution)}</text></svg>')
    return "".join(parts)


def projection_for(report: Report, data: MapData) -> Projection:
    """The same projection map_svg used (the page script places the car with it)."""
    pts: list[tuple[float, float]] = [(s.lat, s.lon) for s in report.samples]
    for t in report.turns:
        r = t.route()
        if r is not None:
            pts += list(r.geometry) + [(p.lat, p.lon) for p in [*r.stops, r.destination]]
    pts += [(h.event.lat, h.event.lon) for h in report.hazards]
    pts += [(lat, lon) for lat, lon, _ in ruled_out(report, data)]
    if not pts:
        pts = [(data.bbox[0], data.bbox[1]), (data.bbox[2], data.bbox[3])]
    return Projection(view_bbox(pts))


def ruled_out(report: Report, data: MapData) -> list[tuple[float, float, str]]:
    """Map objects a `route_avoids` expectation names: (lat, lon, label), for the map."""
    out = []
    for e in report.expectations:
        for ref in e.expect.get("route_avoids", []) if isinstance(e.expect, dict) else []:
            kind, _, num = str(ref).partition("/")
            obj = data.known_place(kind, int(num)) if num.isdigit() else None
            if obj is not None:
                out.append((obj.outline[0][0], obj.outline[0][1], obj.name or str(ref)))
    return out


def suggested(report: Report) -> list[tuple[float, float, str]]:
    """Places the copilot showed without routing there (e.g. a proactive fuel suggestion)."""
    out = []
    for t in report.turns:
        for a in t.actions:
            if a.type == "show_places":
                out += [(p.lat, p.lon, p.name or str(p.category or "place")) for p in a.places]
    return out


def plot_svg(plot_id: str, title: str, unit: str, series: Sequence[tuple[float, float]],
             t_end: float, marks: Sequence[tuple[float, str]] = (),
             bands: Sequence[tuple[float, float, str]] = (), width: int = 760,
             height: int = 130, zero_based: bool = True) -> str:
    """A line plot over simulated time, with vertical marks (turns, hazards) and bands."""
    left, right, top, bottom = 48, 8, 18, 22
    w, h = width - left - right, height - top - bottom
    t_end = max(t_end, 1.0)
    vals = [v for _, v in series] or [0.0]
    lo, hi = (min(0.0, min(vals)), max(vals)) if zero_based else (min(vals), max(vals))
    if not zero_based:  # a little room, so a slow decline is visible as a slope
        room = max((hi - lo) * 0.1, abs(hi) * 0.002, 0.5)
        lo, hi = lo - room, hi + room
    hi = hi if hi > lo else lo + 1.0

    def x(t: float) -> float:
        return left + w * t / t_end

    def y(v: float) -> float:
        return top + h * (1 - (v - lo) / (hi - lo))

    parts = [f'<svg id="{plot_id}" class="plot" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
             f'<text x="{left}" y="12" font-size="12" font-weight="bold">{escape(title)}</text>']
    for t0, t1, colour in bands:
        parts.append(f'<rect x="{x(t0):.1f}" y="{top}" width="{max(0.5, x(t1) - x(t0)):.1f}" '
                     f'height="{h}" fill="{colour}" opacity="0.55"/>')
    parts.append(f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" '
                 f'stroke="#999"/>')
    digits = 1 if hi - lo < 10 else 0
    for v in (lo, hi):
        parts.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{v:,.{digits}f}</text>')
    parts.append(f'<text x="{left - 4}" y="{top + h / 2 + 4:.1f}" font-size="10" '
                 f'text-anchor="end">{escape(unit)}</text>')
    for t, colour in marks:
        parts.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{top + h}" '
                     f'stroke="{colour}" stroke-dasharray="3 2"/>')
    if len(series) > 1:
        step = max(1, len(series) // 400)  # at most ~400 points per plot
        pts = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in series[::step])
        parts.append(f'<polyline class="series" points="{pts}" fill="none" stroke="#1e63d6" '
                     f'stroke-width="1.6"/>')
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="10">0 s</text>'
                 f'<text x="{left + w}" y="{height - 6}" font-size="10" text-anchor="end">'
                 f'{t_end:,.0f} s</text></svg>')
    return "".join(parts)
