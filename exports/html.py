"""Self-contained HTML report: the deck of :mod:`exports.deck` as one page, with the
Plotly charts of ``charts/`` and plotly.js inlined once — it works offline (a USB
stick, an e-mail attachment). Every text from the workbook is HTML-escaped.
Pure: PlanMetrics → bytes."""
from __future__ import annotations

import html

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from charts.board import group_bars, timing_doughnut
from charts.locale_it import PLOTLY_IT_CONFIG
from charts.objective import contribution_waterfall, steps_timeline
from charts.overview import achievement_gauge, objectives_ranking
from exports.common import objective_steps, text
from exports.deck import (ACHIEVEMENT, CASCADE, FORECAST, GROUPS, LATE, OBJECTIVE, OBJECTIVES, SUMMARY, TITLE, Slide,
                          build_deck)
from exports.paginate import unsplit
from exports.phrasing import context_line, objective_paragraph, verification_notes
from exports.tables import Table, group_frames
from exports import criteria
from metrics.engine import PlanMetrics
from metrics.fmt import fmt_date
from metrics.previous import Previous

PLOTLY_CONFIG = {**PLOTLY_IT_CONFIG, "responsive": True}   # Italian toolbar, as on the pages

CSS = """
:root { --blue:#1f4e79; --grey:#5f6b7a; --light:#e8eef4; }
* { box-sizing: border-box; }
body { font-family: "Source Sans Pro", "Segoe UI", Arial, sans-serif; margin: 0; color: #222; background: #f6f8fa; }
header.top { background: var(--blue); color: #fff; padding: 1.2rem 2rem; }
header.top h1 { margin: 0 0 .3rem 0; font-size: 1.9rem; }
header.top p { margin: 0; opacity: .9; }
nav { background: #fff; padding: .8rem 2rem; border-bottom: 1px solid #ddd; font-size: .95rem; }
nav a { color: var(--blue); margin-right: 1rem; text-decoration: none; white-space: nowrap; }
main { max-width: 1280px; margin: 0 auto; padding: 1rem 2rem 3rem; }
section { background: #fff; border-radius: 8px; padding: 1.2rem 1.6rem; margin: 1.2rem 0;
          box-shadow: 0 1px 3px rgba(0,0,0,.08); page-break-inside: avoid; }
section h2 { color: var(--blue); margin: 0 0 .2rem 0; font-size: 1.5rem; }
.sub { color: var(--grey); margin: 0 0 1rem 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: .8rem; margin: .8rem 0; }
.fig { background: var(--light); border-radius: 6px; padding: .6rem .8rem; }
.fig .l { color: var(--grey); font-size: .85rem; }
.fig .v { color: var(--blue); font-size: 1.6rem; font-weight: 700; }
.row { display: flex; flex-wrap: wrap; gap: 1rem; }
.row > div { flex: 1 1 420px; min-width: 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .9rem; }
th { background: var(--blue); color: #fff; text-align: left; padding: .35rem .5rem; }
td { border-bottom: 1px solid #e3e3e3; padding: .3rem .5rem; vertical-align: top; }
td.n, th.n { text-align: right; }
.narrow { max-width: 560px; }
tr:nth-child(even) td { background: #f7f9fb; }
tr.grp td { background: var(--light); font-weight: 700; }
.msg { color: var(--grey); font-style: italic; }
ul.notes li { margin-bottom: .35rem; }
p.par { line-height: 1.5; }
footer { color: var(--grey); font-size: .85rem; text-align: center; padding: 1rem; }
@media print { nav { display: none; } body { background: #fff; } section { box-shadow: none; } }
"""


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def _fig(fig: go.Figure) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG)


def _figures(figs: list[tuple[str, str]]) -> str:
    return '<div class="figures">' + "".join(
        f'<div class="fig"><div class="l">{_e(k)}</div><div class="v">{_e(v)}</div></div>' for k, v in figs) + "</div>"


def _table(t: Table | None) -> str:
    if t is None or not t.rows:
        return ""
    head = "".join(f'<th{" class=n" if j in t.numeric else ""}>{_e(c)}</th>' for j, c in enumerate(t.columns))
    body = "".join(f'<tr{" class=grp" if i in t.bold_rows else ""}>'
                   + "".join(f'<td{" class=n" if j in t.numeric else ""}>{_e(v)}</td>' for j, v in enumerate(r))
                   + "</tr>" for i, r in enumerate(t.rows))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(pm: PlanMetrics, previous: Previous | None = None) -> bytes:
    """One offline HTML page (UTF-8 bytes): the deck's slides as sections."""
    deck = unsplit(build_deck(pm, previous=previous))   # a scrolling page: one section per objective
    by_objective = objective_steps(pm)
    c = pm.ctx
    sections, links = [], []
    for i, s in enumerate(deck):
        if s.kind == TITLE:
            continue
        sid = f"s{i}"
        links.append(f'<a href="#{sid}">{_e(s.title if s.kind != OBJECTIVE else s.objective_code)}</a>')
        sections.append(f'<section id="{sid}"><h2>{_e(s.title)}</h2>'
                        + (f'<p class="sub">{_e(s.subtitle)}</p>' if s.subtitle else "") + _body(s, pm, by_objective) + "</section>")
    title = f"{text(c.titolo)} — situazione al {fmt_date(c.as_of)}"
    doc = f"""<!DOCTYPE html>
<html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script></head>
<body><header class="top"><h1>{_e(text(c.titolo))}</h1><p>{_e(text(c.ente))} · anno {c.year} · situazione al
{_e(fmt_date(c.as_of))} · versione {c.version} del piano · {_e(" · ".join(deck[0].bullets))}</p></header>
<nav>{" ".join(links)}</nav>
<main>{"".join(sections)}</main>
<footer>{_e(context_line(pm))} · report generato dal Cruscotto Performance</footer>
</body></html>"""
    return doc.encode("utf-8")


def _body(s: Slide, pm: PlanMetrics, by_objective: dict) -> str:
    msg = f'<p class="msg">{_e(s.message)}</p>' if s.message else ""
    bullets = "".join(f"<li>{_e(b)}</li>" for b in s.bullets)
    bullets = f"<ul>{bullets}</ul>" if bullets else ""
    if s.kind == SUMMARY:
        return _figures(s.figures) + "".join(f"<h3>{_e(head)}</h3><ul>" + "".join(f"<li>{_e(x)}</li>" for x in items)
                                             + "</ul>" for head, items in s.sections)
    if s.kind == ACHIEVEMENT:
        # a fixed width: plotly's indicator misplaces its number when drawn in a flex box still being laid out
        gauge = _fig(criteria.gauge(pm, achievement_gauge, 320).update_layout(width=520, margin=dict(t=60)))
        return f'<div class="row"><div>{gauge}</div><div>{_figures(s.figures)}{bullets}</div></div>{msg}'
    if s.kind == CASCADE:
        return msg or _table(s.table)
    if s.kind == GROUPS:
        return msg or '<div class="row">' + "".join(f"<div>{_fig(group_bars(df, title))}</div>"
                                             for title, df in group_frames(pm)) + "</div>"
    if s.kind == OBJECTIVES:
        return msg or (_fig(criteria.ranking(pm, objectives_ranking)) + _table(s.table))
    if s.kind == LATE:
        return (_figures(s.figures) + '<div class="narrow">' + _fig(timing_doughnut(pm.steps)) + "</div>"
                + (msg or _table(s.table)))
    if s.kind == OBJECTIVE:
        code = s.objective_code
        o = pm.objectives[pm.objectives["code"] == code].iloc[0]
        steps = by_objective[code]
        out = _figures(s.figures) + f'<p class="par">{_e(objective_paragraph(pm, code, steps))}</p>'
        if s.message:
            return out + msg
        out += _table(s.table)
        waterfall = contribution_waterfall(steps, o["achievement"] if o["evaluable"] else None)
        out += (f'<div class="row"><div>{_fig(steps_timeline(steps, pm.ctx.as_of))}</div>'
                f"<div>{_fig(waterfall)}</div></div>")
        notes = verification_notes(pm, code, steps)
        if notes:
            out += "<h3>Note di verifica</h3><ul class=notes>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"
        return out
    if s.kind == FORECAST:   # «Previsione a fine anno»
        return (_figures(s.figures) + _fig(criteria.forecast_chart(pm)) + _table(s.table) + bullets)
    return msg
