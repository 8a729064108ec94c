"""Figures of the «Cascata strategica» (rule 4): a Sankey area → obiettivo strategico → obiettivo
(width = weight, colour = achievement) and a sunburst / treemap area → obiettivo strategico →
obiettivo → step.

An objective linked to several strategic objectives appears under each of them (it counts fully
in each, as in rule 4); objectives with no link hang from «Senza collegamento strategico»;
strategic objectives without area from «Senza area».

Node ids of the sunburst / treemap are paths ``a=1|s=1A|o=C|p=C.1`` (``u`` = senza collegamento,
``n`` = senza area): :func:`node_of` reads back what a click selected (Streamlit passes the
``id`` of a clicked sector, not its customdata).
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from charts.base import band_color, empty_figure, style, wrap
from metrics import formulas as F
from metrics.deadlines import NO_AREA, UNLINKED
from metrics.fmt import fmt_date, fmt_pct
from metrics.settings import BAND_NONE, BAND_YELLOW, DEFAULT, Settings

#: Smallest drawn size (weight in percentage points), so that an objective with weight 0 stays visible.
MIN_SIZE = 0.5
#: Characters per line of a node label (wrapped on words, never cut to a fixed length). The middle
#: column's labels (right of their nodes) and the objectives' (left of theirs) share the gap between
#: the two columns: together they stay under half the figure's width.
LABEL_WIDTH, MIDDLE_WIDTH = 28, 24


def _short(text: object, n: int) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _ach_text(a: float | None) -> str:
    return "non valutabile" if a is None or pd.isna(a) else fmt_pct(a)


# ----------------------------------------------------------------------------- structure
def cascade_paths(objectives: pd.DataFrame, links: pd.DataFrame, strategic: pd.DataFrame,
                  areas: pd.DataFrame) -> pd.DataFrame:
    """One row per path area → strategic objective → objective: ``area_code`` (None = senza area),
    ``strategic_code`` (None = senza collegamento), ``objective_code``; in the order of the sheets."""
    area_codes = [str(c) for c in areas["code"]]
    s_codes = [str(c) for c in strategic["code"]]
    s_area = {str(c): (str(a) if pd.notna(a) and str(a) in area_codes else None)
              for c, a in zip(strategic["code"], strategic["area_code"])}
    linked: dict[str, set[str]] = {}
    for o, s in zip(links["objective_code"].astype(str), links["strategic_code"].astype(str)):
        linked.setdefault(o, set()).add(s)
    rows = []
    for o in objectives["code"].astype(str):
        ss = [s for s in s_codes if s in linked.get(o, set())]
        if not ss:
            rows.append((None, None, o))
        rows += [(s_area[s], s, o) for s in ss]
    df = pd.DataFrame(rows, columns=["area_code", "strategic_code", "objective_code"])
    a_ord = {a: i for i, a in enumerate(area_codes)}
    s_ord = {s: i for i, s in enumerate(s_codes)}
    df["_a"] = df["area_code"].map(a_ord).fillna(len(a_ord))
    df["_s"] = df["strategic_code"].map(s_ord).fillna(len(s_ord))
    df.loc[df["strategic_code"].isna(), "_a"] = len(a_ord) + 1
    return df.sort_values(["_a", "_s"], kind="stable").drop(columns=["_a", "_s"]).reset_index(drop=True)


def cascade_groups(objectives: pd.DataFrame, links: pd.DataFrame, strategic: pd.DataFrame, areas: pd.DataFrame,
                   settings: Settings = DEFAULT) -> pd.DataFrame:
    """The nodes above the objectives, for drill-down menus and tables: ``key`` (as in the node ids),
    ``kind`` (area / strategico / senza collegamento), ``code``, ``name``, ``label``, ``area``,
    ``objectives`` (codes, distinct), ``achievement`` (rule 4) and ``band``. Areas and strategic
    objectives come from the metrics (``pm.areas``, ``pm.strategic``); «Senza area» and «Senza
    collegamento strategico» are averaged the same way (weighted mean over distinct objectives)."""
    paths = cascade_paths(objectives, links, strategic, areas)
    obj = objectives.assign(code=objectives["code"].astype(str)).set_index("code")
    area_name = {str(c): n for c, n in zip(areas["code"], areas["name"])}
    rows = []

    def pseudo(key: str, kind: str, name: str, codes: list[str], area: str | None) -> dict:
        g = obj.loc[codes]
        a = F.weighted_mean(g["achievement"], g["weight_eff"])
        return dict(key=key, kind=kind, code=None, name=name, label=name, area=area, objectives=codes,
                    achievement=a, band=F.band(a, settings))

    for r in areas.itertuples():
        rows.append(dict(key=f"a={r.code}", kind="area", code=str(r.code), name=r.name,
                         label=f"Area {r.code} · {r.name}", area=f"{r.code} · {r.name}",
                         objectives=[str(x) for x in r.objectives], achievement=r.achievement, band=r.band))
    no_area = paths[paths["strategic_code"].notna() & paths["area_code"].isna()]
    if len(no_area):
        rows.append(pseudo("n", "area", NO_AREA, list(dict.fromkeys(no_area["objective_code"])), NO_AREA))
    for r in strategic.itertuples():
        a = str(r.area_code) if pd.notna(r.area_code) and str(r.area_code) in area_name else None
        rows.append(dict(key=(f"a={a}" if a else "n") + f"|s={r.code}", kind="strategico", code=str(r.code),
                         name=r.name, label=f"Obiettivo strategico {r.code} · {r.name}",
                         area=f"{a} · {area_name[a]}" if a else NO_AREA,
                         objectives=[str(x) for x in r.objectives], achievement=r.achievement, band=r.band))
    unlinked = paths.loc[paths["strategic_code"].isna(), "objective_code"].tolist()
    if unlinked:
        rows.append(pseudo("u", "senza collegamento", UNLINKED, unlinked, None))
    df = pd.DataFrame(rows, columns=["key", "kind", "code", "name", "label", "area", "objectives", "achievement",
                                     "band"])
    df["achievement"] = df["achievement"].astype("float64")
    return df


# ----------------------------------------------------------------------------- sankey
def cascade_sankey(objectives: pd.DataFrame, links: pd.DataFrame, strategic: pd.DataFrame, areas: pd.DataFrame,
                   settings: Settings = DEFAULT, height: int | None = None) -> go.Figure:
    """Sankey area → obiettivo strategico → obiettivo. Flow width = the objective's normalised
    weight (an objective linked to several strategic objectives flows into each); node and flow
    colour = band of the achievement (grey = non valutabile). Strategic objectives without linked
    objectives are left out (no flow). Node customdata[0] = its key (``o=<code>`` for objectives)."""
    if objectives.empty:
        return empty_figure("Il piano non contiene obiettivi")
    paths = cascade_paths(objectives, links, strategic, areas)
    groups = cascade_groups(objectives, links, strategic, areas, settings).set_index("key")
    obj = objectives.assign(code=objectives["code"].astype(str)).set_index("code")
    size = obj["weight_pct"].fillna(0.0).clip(lower=MIN_SIZE)

    keys: list[str] = []
    index: dict[str, int] = {}
    labels, colors, custom, lines = [], [], [], []

    def node(key: str, label: str, name: str, achievement, band: str, weight: float | None) -> int:
        if key not in index:
            index[key] = len(keys)
            keys.append(key)
            labels.append(f"{label} ({fmt_pct(achievement, empty='n.v.')})")
            lines.append(label.count("<br>") + 1)
            colors.append(band_color(band))
            custom.append([key, name, _ach_text(achievement), "" if weight is None else fmt_pct(weight)])
        return index[key]

    src, tgt, val, lcol, lcustom = [], [], [], [], []

    def flow(a: int, b: int, value: float, band: str, text: str) -> None:
        src.append(a)
        tgt.append(b)
        val.append(value)
        lcol.append(_rgba(band_color(band), 0.35))
        lcustom.append(text)

    # first the area / strategic columns, so that node order follows the sheets
    for (a, s), g in paths[paths["strategic_code"].notna()].groupby(["area_code", "strategic_code"], sort=False,
                                                                     dropna=False):
        akey = f"a={a}" if pd.notna(a) else "n"
        ga, gs = groups.loc[akey], groups.loc[f"{akey}|s={s}"]
        ai = node(akey, wrap(ga["label"].removeprefix("Area "), LABEL_WIDTH, 3), ga["label"], ga["achievement"],
                  ga["band"], None)
        si = node(f"s={s}", wrap(f"{s} · {gs['name']}", MIDDLE_WIDTH, 4), gs["label"], gs["achievement"],
                  gs["band"], None)
        flow(ai, si, float(size[g["objective_code"]].sum()), gs["band"],
             f"{ga['label']} → {s}: {len(g)} obiettivi")
    if "u" in groups.index:
        gu = groups.loc["u"]
        node("u", UNLINKED, UNLINKED, gu["achievement"], gu["band"], None)
    for r in paths.itertuples():
        o = obj.loc[r.objective_code]
        oi = node(f"o={r.objective_code}", wrap(f"{r.objective_code} · {o['title']}", LABEL_WIDTH, 2),
                  f"Obiettivo {r.objective_code} · {o['title']}", o["achievement"], o["band"], o["weight_pct"])
        parent = f"s={r.strategic_code}" if pd.notna(r.strategic_code) else "u"
        flow(index[parent], oi, float(size[r.objective_code]), o["band"],
             f"{parent.removeprefix('s=')} → {r.objective_code}: peso {fmt_pct(o['weight_pct'])}")

    # the labels are wrapped (≤ 3 lines): a node gap at least as tall as a label keeps them apart,
    # and the figure is as tall as its most crowded column needs
    pad = 8 + 14 * max(lines)
    column = {"a": 0, "n": 0, "s": 1, "u": 1, "o": 2}
    per_col = [sum(1 for k in keys if column[k.split("=")[0].split("|")[0]] == c) for c in range(3)]
    fig = go.Figure(go.Sankey(
        arrangement="snap", valueformat=".1f", valuesuffix="%",
        textfont=dict(color="#1a1a1a", size=11, shadow="1px 1px 2px white, -1px -1px 2px white"),
        node=dict(label=labels, color=colors, customdata=custom, pad=pad, thickness=16,
                  line=dict(color="white", width=0.5),
                  hovertemplate="<b>%{customdata[1]}</b><br>Raggiungimento: %{customdata[2]}"
                                "<br>Peso dei flussi: %{value:.1f}%<extra></extra>"),
        link=dict(source=src, target=tgt, value=val, color=lcol, customdata=lcustom,
                  hovertemplate="%{customdata}<br>Peso %{value:.1f}%<extra></extra>")))
    n_rows = max(per_col)
    return style(fig, height or max(480, (pad + 16) * n_rows + 60))


# ----------------------------------------------------------------------------- sunburst / treemap
def cascade_hierarchy(objectives: pd.DataFrame, links: pd.DataFrame, strategic: pd.DataFrame, areas: pd.DataFrame,
                      steps: pd.DataFrame, settings: Settings = DEFAULT) -> pd.DataFrame:
    """Rows of the sunburst / treemap: ``id`` (path), ``parent``, ``label`` (short), ``name`` (full),
    ``kind`` (area / strategico / obiettivo / step), ``objective_code``, ``value`` (leaves only:
    an objective's weight, split among its steps by their weights), ``achievement``, ``band``, ``info``."""
    paths = cascade_paths(objectives, links, strategic, areas)
    groups = cascade_groups(objectives, links, strategic, areas, settings).set_index("key")
    obj = objectives.assign(code=objectives["code"].astype(str)).set_index("code")
    st_ = steps.assign(objective_code=steps["objective_code"].astype(str))
    share = st_["weight_eff"] / st_.groupby("objective_code")["weight_eff"].transform("sum").replace(0.0, float("nan"))
    st_ = st_.assign(share=share.fillna(1.0 / st_.groupby("objective_code")["code"].transform("size")))
    rows: list[dict] = []
    seen: set[str] = set()

    def add(id_: str, parent: str, label: str, name: str, kind: str, objective: str | None, value: float,
            achievement, band: str, info: str) -> None:
        if id_ not in seen:
            seen.add(id_)
            rows.append(dict(id=id_, parent=parent, label=label, name=name, kind=kind, objective_code=objective,
                             value=value, achievement=achievement, band=band, info=info))

    for r in paths.itertuples():
        if pd.isna(r.strategic_code):
            g = groups.loc["u"]
            add("u", "", _short(UNLINKED, 28), UNLINKED, "senza collegamento", None, 0.0, g["achievement"],
                g["band"], f"{len(g['objectives'])} obiettivi")
            parent = "u"
        else:
            akey = f"a={r.area_code}" if pd.notna(r.area_code) else "n"
            ga = groups.loc[akey]
            add(akey, "", _short(ga["label"].removeprefix("Area "), 20), ga["label"], "area", None, 0.0,
                ga["achievement"], ga["band"], f"{len(ga['objectives'])} obiettivi")
            parent = f"{akey}|s={r.strategic_code}"
            gs = groups.loc[parent]
            add(parent, akey, str(r.strategic_code), gs["label"], "strategico", None, 0.0, gs["achievement"],
                gs["band"], f"{len(gs['objectives'])} obiettivi")
        o = obj.loc[r.objective_code]
        oid = f"{parent}|o={r.objective_code}"
        ss = st_[st_["objective_code"] == r.objective_code]
        weight = max(float(o["weight_pct"]) if pd.notna(o["weight_pct"]) else 0.0, MIN_SIZE)
        add(oid, parent, str(r.objective_code), f"Obiettivo {r.objective_code} · {o['title']}", "obiettivo",
            r.objective_code, 0.0 if len(ss) else weight, o["achievement"], o["band"],
            f"peso {fmt_pct(o['weight_pct'])} · {o['status']}")
        for s in ss.itertuples():
            counted = bool(s.due_in_year) and not bool(s.neutralized)
            a = s.achievement if counted else None
            add(f"{oid}|p={s.code}", oid, str(s.code), f"Step {s.code} · {_short(s.description, 90)}", "step",
                r.objective_code, weight * float(s.share), a, F.band(a, settings) if counted else BAND_NONE,
                f"termine {fmt_date(s.deadline) if s.deadline is not None else (s.deadline_raw or '—')}"
                f" · {s.status}" + ("" if counted else " · fuori dall'anno o neutralizzato"))
    return pd.DataFrame(rows, columns=["id", "parent", "label", "name", "kind", "objective_code", "value",
                                       "achievement", "band", "info"])


def cascade_tree(objectives: pd.DataFrame, links: pd.DataFrame, strategic: pd.DataFrame, areas: pd.DataFrame,
                 steps: pd.DataFrame, kind: str = "sunburst", settings: Settings = DEFAULT,
                 maxdepth: int = 3, height: int = 620) -> go.Figure:
    """Sunburst (``kind="sunburst"``) or treemap (``"treemap"``) of area → obiettivo strategico →
    obiettivo → step; size = weight, colour = band of the achievement; a click zooms in and
    Streamlit returns the sector ``id`` (see :func:`node_of`)."""
    if objectives.empty:
        return empty_figure("Il piano non contiene obiettivi")
    h = cascade_hierarchy(objectives, links, strategic, areas, steps, settings)
    # dark text on the light colours (giallo, grigio), white on the dark ones
    text_colors = ["#1a1a1a" if b in (BAND_YELLOW, BAND_NONE) else "white" for b in h["band"]]
    common = dict(ids=h["id"], parents=h["parent"], labels=h["label"], values=h["value"], branchvalues="remainder",
                  marker=dict(colors=[band_color(b) for b in h["band"]], line=dict(color="white", width=1)),
                  customdata=list(zip(h["name"], h["achievement"].map(_ach_text), h["info"])),
                  hovertemplate="<b>%{customdata[0]}</b><br>Raggiungimento: %{customdata[1]}<br>%{customdata[2]}"
                                "<extra></extra>",
                  maxdepth=maxdepth, insidetextfont=dict(color=text_colors), outsidetextfont=dict(color=text_colors),
                  textfont=dict(color=text_colors))
    if kind == "treemap":
        trace = go.Treemap(**common, pathbar=dict(visible=True), tiling=dict(pad=2), root=dict(color="#f5f5f5"),
                           textinfo="label")
    else:
        trace = go.Sunburst(**common, insidetextorientation="radial", textinfo="label")
    fig = go.Figure(trace)
    fig = style(fig, height)
    fig.update_layout(margin=dict(l=5, r=5, t=30 if kind == "treemap" else 10, b=5))
    return fig


def node_of(node_id: str | None) -> dict:
    """What a clicked sector is: ``{"kind", "key", "objective"}`` where ``key`` is the id of the
    area / strategic group (as in :func:`cascade_groups`) and ``objective`` the objective code of an
    objective or step sector (None otherwise)."""
    if not node_id:
        return {"kind": None, "key": None, "objective": None}
    parts = str(node_id).split("|")
    pairs = [p.split("=", 1) if "=" in p else [p, ""] for p in parts]
    last = pairs[-1][0]
    kind = {"a": "area", "n": "area", "u": "senza collegamento", "s": "strategico", "o": "obiettivo",
            "p": "step"}.get(last)
    objective = next((v for k, v in pairs if k == "o"), None)
    group = [p for p, (k, _) in zip(parts, pairs) if k in ("a", "n", "u", "s")]
    return {"kind": kind, "key": "|".join(group) or None, "objective": objective}
