"""report.html: one self-contained page (inline CSS, SVG and a small inline script).

The conversation, the expectations, the route over the region's roads, and timelines of
speed, range and link quality. Hovering a turn moves the car marker to where the car was.
"""

from __future__ import annotations

import itertools
import json
from html import escape
from pathlib import Path

from copilot.sim.mapdata import MapData
from copilot.sim.record import Report, TurnRecord
from copilot.sim.svg import LINK_COLOURS, map_svg, plot_svg, projection_for

ASSETS = Path(__file__).resolve().parent


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _turn_html(i: int, t: TurnRecord) -> str:
    who = "copilot (on its own)" if t.proactive else escape(t.text or "(audio)")
    heard = (f'<div class="meta">heard: “{escape(t.transcript)}”</div>'
             if t.transcript is not None else "")
    u = t.understanding
    intent = f" · {u.intent} ({u.source}, {u.confidence:.2f})" if u else ""
    actions = ", ".join(a.type for a in t.actions) or "no action"
    total = f" · {t.timings_ms.total:.0f} ms" if t.timings_ms else ""
    total += f" · {escape(t.why)}" if t.why else ""
    return (f'<div class="turn{" proactive" if t.proactive else ""}" data-at="{t.at_s:.1f}" '
            f'id="turn-{i}"><div class="meta">{t.at_s:.0f} s · {t.speed_kph:.0f} km/h · link '
            f'{t.link} · {t.input}</div><div class="said">{who}</div>{heard}'
            f'<div class="reply">→ {escape(t.reply)}</div><div class="meta"><span class="'
            f'st-{t.status}">{t.status}</span> · {t.served_by}{intent} · {actions}{total}'
            f'</div></div>')


def render_html(report: Report, data: MapData) -> str:
    t_end = max([report.sim_duration_s, *(s.t_s for s in report.samples), 1.0])
    marks = [(t.at_s, "#ff6f00" if t.proactive else "#455a64") for t in report.turns]
    marks += [(h.at_s, "#e53935") for h in report.hazards]
    bands: list[tuple[float, float, str]] = []
    for a, b in itertools.pairwise(report.samples):
        bands.append((a.t_s, b.t_s, LINK_COLOURS[a.link]))
    link_series = [(s.t_s, {"good": 2.0, "degraded": 1.0, "none": 0.0}[s.link])
                   for s in report.samples]
    plots = [
        plot_svg("plot-speed", "Speed", "km/h", [(s.t_s, s.speed_kph) for s in report.samples],
                 t_end, marks),
        plot_svg("plot-range", "Range left", "km",
                 [(s.t_s, s.range_m / 1000) for s in report.samples], t_end, marks,
                 zero_based=False),
        plot_svg("plot-link", "Link quality (2 good, 1 degraded, 0 none)", "",
                 link_series, t_end, marks, _merge(bands)),
    ]
    proj = projection_for(report, data)
    track = {"points": [[s.t_s, *proj.xy(s.lat, s.lon)] for s in report.samples[::5]]}
    rows = "".join(
        f'<tr><td><code>{escape(json.dumps(e.expect))}</code></td><td class="'
        f'{"held" if e.held else "failed"}">{"held" if e.held else "FAILED"}</td>'
        f'<td>{escape(e.detail)}</td></tr>' for e in report.expectations)
    replans = "".join(
        f"<li>{r.at_s:.0f} s ({r.cause}): {r.distance_m / 1000:.1f} km, "
        f"{r.duration_s / 60:.0f} min, at {r.eta:%H:%M} via {escape(', '.join(r.stops) or '-')}"
        f"</li>" for r in report.replan_log)
    verdicts = "".join(
        f"<li>turn {v.turn}: {escape(v.check)} {escape(v.outcome)} ({escape(v.reason)})</li>"
        for v in report.safety_verdicts if v.outcome != "pass")
    errors = "".join(f"<li>{escape(e)}</li>" for e in report.errors)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report.messages.items()))
    errors_html = f"<h3>Run errors</h3><ul>{errors}</ul>" if errors else ""
    served = json.dumps(report.service_counters) if report.service_counters else "n/a"
    status = "PASSED" if report.passed else "FAILED"
    arrived = f"{report.arrived_at:%H:%M}" if report.arrived_at else "not arrived"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(report.scenario)}: {status}</title><style>{_asset('report.css')}</style></head>
<body data-rendered="no"><header><h1>{escape(report.scenario)}
<span class="badge {"pass" if report.passed else "fail"}">{status}</span></h1>
<div>{escape(report.description)}</div>
<div class="meta" style="color:#cfd8dc">map {escape(report.map)} · start
{report.started_at:%Y-%m-%d %H:%M} · {arrived} · {report.sim_duration_s:,.0f} s simulated in
{report.wall_duration_s:,.1f} s · {report.signals_published:,} signals · {report.replans}
re-plans · <span id="summary"></span></div></header>
<main><section id="conversation"><h2>Conversation</h2>
{"".join(_turn_html(i, t) for i, t in enumerate(report.turns))}
</section><section id="figures"><h2>Route</h2>{map_svg(report, data)}
<div class="legend"><span style="color:#1e63d6">━ route</span>
<span style="color:#7e57c2">╍ earlier route</span> <span style="color:#2e7d32">━ driven</span>
<span style="color:#2e7d32">■ start</span> <span style="color:#1e63d6">① stop ★ destination</span>
<span style="color:#e53935">● hazard</span> <span style="color:#e65100">◆ suggested</span>
<span style="color:#757575">⊗ ruled out</span> <span style="color:#ff6f00">● car</span></div>
<h2>Timelines</h2>{"".join(plots)}</section>
<section id="expectations" style="flex:1 1 100%"><h2>Expectations</h2><table>
<tr><th>expect</th><th>outcome</th><th>detail</th></tr>{rows}</table>
<h3>Re-plans</h3><ul>{replans or "<li>none</li>"}</ul>
<h3>Safety findings</h3><ul>{verdicts or "<li>none beyond pass</li>"}</ul>
<h3>Messages</h3><p>simulator: {escape(counts)}</p>
<p>copilot serve: <code>{escape(served)}</code></p>{errors_html}
</section></main>
<footer>{escape(report.map_attribution)}. Drawn from the scenario's map file; no
network resources.</footer>
<script type="application/json" id="track-data">{json.dumps(track)}</script>
<script>{_asset('report.js')}</script></body></html>
"""


def _merge(bands: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    out: list[tuple[float, float, str]] = []
    for b in bands:
        if out and out[-1][2] == b[2] and abs(out[-1][1] - b[0]) < 1e-6:
            out[-1] = (out[-1][0], b[1], b[2])
        else:
            out.append(b)
    return out
