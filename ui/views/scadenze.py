"""Scadenze e ritardi: slippage of the steps (rule 5) on a time axis, by month, area and responsible."""
import datetime as dt

import streamlit as st

from charts.deadlines import deadlines_timeline, delay_histogram, timing_bars
from metrics import deadlines as D
from metrics import formulas as F
from metrics.fmt import fmt_date, fmt_days, fmt_int, fmt_pct
from ui.common import lazy_tabs, metric_row, plan_page, plotly, show_table

STEP_COLS = {"objective_code": ("Obiettivo", None), "code": ("Step", None), "description": ("Descrizione", None),
             "deadline": ("Termine", "date"), "revised_deadline": ("Nuovo termine", "date")}
SOON_COLS = {**STEP_COLS, "days_left": ("Giorni mancanti", "int"), "status": ("Stato", None),
             "achievement": ("Raggiungimento", "pct"), "responsible": ("Responsabile", None)}
OVERDUE_COLS = {**STEP_COLS, "delay": ("Giorni scaduto", "int"),
                "overdue_revised_days": ("Giorni oltre il nuovo termine", "int"), "status": ("Stato", None),
                "achievement": ("Raggiungimento", "pct")}
LATE_COLS = {**STEP_COLS, "completed_on": ("Completato il", "date"), "delay": ("Giorni di ritardo", "int"),
             "slip_revised_days": ("Giorni rispetto al nuovo termine", "int")}
CONTINUOUS_COLS = {"objective_code": ("Obiettivo", None), "code": ("Step", None), "description": ("Descrizione", None),
                   "deadline_raw": ("Termine (come scritto)", None), "status": ("Stato", None),
                   "achievement": ("Raggiungimento", "pct"), "note": ("Verifica", None)}
ROLLUP_COLS = {"steps": ("Step", "int"), "on_time": ("In tempo", "int"), "late": ("In ritardo", "int"),
               "overdue": ("Scaduti", "int"), "upcoming": ("In scadenza", "int"),
               "undetermined": ("Non determinabili", "int"), "on_time_pct": ("% in tempo", "pct"),
               "median_delay": ("Ritardo mediano", "days"), "max_delay": ("Ritardo massimo", "days")}
LISTS = ["Scaduti", "Completati in ritardo", "In scadenza", "Attività continuative"]
ROLLUPS = ["Distribuzione dei ritardi", "Per mese di scadenza", "Per area strategica", "Per responsabile"]
RESPONSIBLE = {"objective": "dell'obiettivo", "step": "dello step (o dell'obiettivo)"}


NO_DATA = ("Il piano non contiene step: nessuna scadenza da mostrare (foglio «Step» vuoto).")

def deadline_frames(pm, all_years: bool) -> dict:
    """The frames of this page for one scope, computed once per PlanMetrics."""
    steps = D.scope(pm.steps, all_years)
    dated = D.dated_steps(steps)
    month = D.by_month(dated)
    area = D.by_area(dated, pm.links, pm.strategic, pm.areas) if len(pm.links) else None
    n = dated["timing"].value_counts()
    due_now = int(((dated["timing"] == "in scadenza") & dated["due"]).sum())   # deadline = as-of (metrics.timing)
    return {"steps": steps, "summary": F.slippage_summary(steps) if all_years else pm.slippage, "dated": dated,
            "timing_counts": {**{k: int(n.get(k, 0)) for k in ("in tempo", "in ritardo", "scaduto", "n.d.")},
                              "in scadenza": int(n.get("in scadenza", 0)) - due_now, "al termine": due_now},
            "continuous": D.continuous_steps(steps), "month": month, "area": area,
            "overdue": D.overdue_steps(dated), "late": D.late_steps(dated),
            "fig_timeline": deadlines_timeline(dated, pm.ctx.as_of), "fig_hist": delay_histogram(dated),
            "fig_month": timing_bars(month, "label", "Step per mese di scadenza"),
            "fig_area": None if area is None else timing_bars(area, "area", "Step per area strategica", horizontal=True),
            "has_responsible": {src: D.has_responsible(pm.steps, pm.objectives, src) for src in RESPONSIBLE}}


def responsible_frames(pm, source: str, all_years: bool):
    """Roll-up by responsible and its chart, once per PlanMetrics, source and scope."""
    resp = D.by_responsible(pm.derived(deadline_frames, pm, all_years)["dated"], pm.objectives, source)
    return resp, timing_bars(resp, "responsible", "Step per responsabile", horizontal=True)


def bounds_caption(s: dict) -> str:
    """How many slippage figures rest on the verification history instead of a completion date (rule 5)."""
    return (f"Senza «Data completamento» il ritardo è limitato dalle verifiche: in tempo {fmt_int(s['on_time_on_bounds'])} e "
            f"in ritardo {fmt_int(s['late_on_bounds'])} step su questa base; da verificare "
            f"{fmt_int(s['to_verify'])} (completati, ritardo possibile solo limitato: il dettaglio per step è nella "
            "pagina Obiettivo, «Perché questo valore»).")


def summary(pm, sel, frames: dict) -> None:
    s, n, as_of = frames["summary"], frames["timing_counts"], fmt_date(sel.as_of)
    metric_row([
        ("Step valutati", fmt_int(s["judged"]), "Step con termine datato completati (con data di completamento o "
                                                "con i limiti delle verifiche), oppure scaduti (regola 5)"),
        ("In tempo", fmt_pct(s["on_time_pct"]), f"{s['on_time']} step completati entro il termine"),
        ("In ritardo", fmt_pct(s["late_pct"]), f"{s['late']} step completati dopo il termine"),
        ("Scaduti", fmt_pct(s["overdue_pct"]), f"{s['overdue']} step non completati e oltre il termine al {as_of}"),
        ("Ritardo mediano", fmt_days(s["median_delay"]), "Sui giorni di ritardo degli step in ritardo e scaduti"),
        ("Ritardo massimo", fmt_days(s["max_delay"]), None),
    ])
    st.caption(f"Step con termine datato: {fmt_int(len(frames['dated']))} (in tempo {fmt_int(n['in tempo'])} · "
               f"in ritardo {fmt_int(n['in ritardo'])} · scaduti {fmt_int(n['scaduto'])} · "
               + (f"al termine senza completamento {fmt_int(n['al termine'])} · " if n["al termine"] else "")
               + f"non ancora scaduti {fmt_int(n['in scadenza'])} · non determinabili {fmt_int(n['n.d.'])}); attività "
               f"continuative: {fmt_int(len(frames['continuous']))}.")
    st.caption(bounds_caption(s))   # spec revision 2: what the figures rest on
    if pm.counts["verifications"] == 0:
        st.info("Questo piano non ha ancora verifiche: ogni step oltre il termine alla data di monitoraggio risulta "
                "scaduto.", icon="ℹ️")
    elif s["judged"] == 0 and n["n.d."]:
        st.info("Gli step completati non riportano la «Data completamento»: il loro ritardo non è determinabile "
                "(regola 5).", icon="ℹ️")


def due_soon(pm, sel) -> None:
    days = st.radio("Scadenze nei prossimi", [30, 60], horizontal=True, key="dl_window",
                    format_func=lambda d: f"{d} giorni")
    soon = pm.derived(D.due_soon, pm.steps, sel.as_of, days)
    if soon.empty:
        st.caption(f"Nessuno step da completare con termine nei {days} giorni successivi al {fmt_date(sel.as_of)}.")
    else:
        st.caption(f"{fmt_int(len(soon))} step da completare entro il {fmt_date(sel.as_of + dt.timedelta(days))} "
                   "(si considera il nuovo termine, quando c'è).")
        show_table(soon, SOON_COLS, key="dl_soon", objective_col="objective_code", sel=sel, memo=pm)


def step_lists(pm, sel, frames: dict) -> None:
    """Overdue, late, due soon and continuous steps: one tab at a time is computed (the open one)."""
    t_overdue, t_late, t_soon, t_continuous = lazy_tabs(LISTS, key="dl_list")
    if t_overdue.open:
        with t_overdue:
            if frames["overdue"].empty:
                st.caption(f"Nessuno step scaduto al {fmt_date(sel.as_of)}.")
            else:
                st.caption(f"{fmt_int(len(frames['overdue']))} step non completati e oltre il termine al "
                           f"{fmt_date(sel.as_of)}, dal più in ritardo. Clic su una riga per aprire l'obiettivo.")
                show_table(frames["overdue"], OVERDUE_COLS, key="dl_overdue", objective_col="objective_code",
                           sel=sel, memo=pm)
    if t_late.open:
        with t_late:
            if frames["late"].empty:
                st.caption("Nessuno step completato dopo il termine.")
            else:
                st.caption(f"{fmt_int(len(frames['late']))} step completati dopo il termine.")
                show_table(frames["late"], LATE_COLS, key="dl_late", objective_col="objective_code", sel=sel,
                           memo=pm)
    if t_soon.open:
        with t_soon:
            due_soon(pm, sel)
    if t_continuous.open:
        with t_continuous:
            if frames["continuous"].empty:
                st.caption("Nessuna attività continuativa: tutti gli step hanno un termine datato.")
            else:
                st.caption("Step con termine non datato («Al bisogno», «Cadenza mensile»…): mostrati qui, esclusi "
                           "dallo slittamento.")
                show_table(frames["continuous"], CONTINUOUS_COLS, key="dl_continuous", objective_col="objective_code",
                           sel=sel, memo=pm)


def rollups(pm, frames: dict, all_years: bool) -> None:
    """Distribution of the delays and delays by month, area and responsible: only the open tab runs."""
    t_hist, t_month, t_area, t_resp = lazy_tabs(ROLLUPS, key="dl_rollup")
    if t_hist.open:
        with t_hist:
            plotly(frames["fig_hist"], "dl_hist")
    if t_month.open:
        with t_month:
            plotly(frames["fig_month"], "dl_month")
            show_table(frames["month"], {"label": ("Mese", None), **ROLLUP_COLS}, key=f"dl_month_t_{all_years}",
                       memo=pm)
    if t_area.open:
        with t_area:
            if frames["area"] is None:
                st.info("Il piano non collega gli obiettivi ad aree strategiche: la ripartizione per area non è "
                        "disponibile.", icon="ℹ️")
            else:
                st.caption("Area raggiunta attraverso obiettivo → obiettivo strategico → area: uno step il cui "
                           "obiettivo è collegato a più aree conta in ciascuna.")
                plotly(frames["fig_area"], "dl_area")
                show_table(frames["area"], {"area": ("Area", None), **ROLLUP_COLS}, key=f"dl_area_t_{all_years}",
                           memo=pm)
    if t_resp.open:
        with t_resp:
            has = frames["has_responsible"]
            if not any(has.values()):
                st.info("Il foglio non indica responsabili (colonna «Responsabile» di Obiettivi e Step vuota).",
                        icon="ℹ️")
                return
            source = st.radio("Responsabile", list(RESPONSIBLE), horizontal=True, key="dl_resp_source",
                              index=0 if has["objective"] else 1, format_func=RESPONSIBLE.get)
            resp, fig_resp = pm.derived(responsible_frames, pm, source, all_years)
            plotly(fig_resp, "dl_resp")
            show_table(resp, {"responsible": ("Responsabile", None), **ROLLUP_COLS},
                       key=f"dl_resp_t_{source}_{all_years}", memo=pm)


def render() -> None:
    sel, pm = plan_page("Scadenze e ritardi", "steps", NO_DATA)
    all_years = st.toggle("Includi gli step degli altri anni del piano", key="dl_all_years",
                          help="Di norma si considerano gli step con termine nell'anno scelto, come nella "
                               "Panoramica.")
    frames = pm.derived(deadline_frames, pm, all_years)
    summary(pm, sel, frames)

    st.header("Tutte le scadenze")
    st.caption("Ogni step con termine datato: il rombo è il termine, la linea arriva alla data di completamento (in "
               "tempo o in ritardo) o alla data di monitoraggio (scaduto). Clic su un punto per aprire l'obiettivo.")
    plotly(frames["fig_timeline"], "dl_timeline", sel, clickable=True)

    st.header("Step da seguire")
    step_lists(pm, sel, frames)

    st.header("Ritardi: distribuzione, per mese, area e responsabile")
    rollups(pm, frames, all_years)

    st.header("Calendario delle scadenze")
    calendar_section(sel)


def calendar_section(sel) -> None:
    """Issue 18: the .ics download and the user's own subscribable address (ui/views/giri.py)."""
    from ui.views.giri import calendar_download, subscription_box

    st.caption("Le scadenze degli step (anche quelle rinviate), le date di monitoraggio, i termini dei giri di "
               "monitoraggio e della Relazione sulla performance, da aprire con Outlook, Thunderbird o il telefono.")
    calendar_download(sel.db, sel.principal, sel.ente, "dl_ics")
    subscription_box(sel.db, sel.principal)
