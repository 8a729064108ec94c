"""Calendario delle scadenze (issue 18): the deadlines of the plans a principal may read, as iCalendar
(RFC 5545, written with the ``icalendar`` library).

It holds, for the current version of each plan (optionally one ente, one responsible):

* one all-day event per dated step at its effective deadline (the revised one where present: the latest
  verification's «Nuovo termine», else the second date of «Termine»), the original named in the text;
* the monitoring dates (31/08 and 31/12 of every plan year) and the due dates of the monitoring rounds;
* the year's legal dates (Relazione sulla performance by 30 June of the following year).

Only data: no Streamlit, no exports (the CLI ``python -m metrics calendar`` and the subscribable address of
``ui/routes_calendar.py`` both call :func:`build_calendar`).
"""
from __future__ import annotations

import datetime as dt

import icalendar

from domain.responsibles import resp_key, step_responsibles
from metrics.fmt import fmt_date
from store.access import Principal

PRODID = "-//Cruscotto Performance//Calendario scadenze//IT"
UID_DOMAIN = "cruscotto-performance"


def _plans(db, principal: Principal, ente: str | None) -> list[tuple]:
    rows = db.rows("SELECT p.plan_id, p.ente, p.titolo, p.current_import_id, i.anno_inizio, i.anno_fine "
                   "FROM plans p JOIN imports i ON i.import_id = p.current_import_id ORDER BY p.ente, p.titolo")
    want = resp_key(ente) if ente else None
    return [r for r in rows if principal.sees_ente(r[1]) and (want is None or want in resp_key(r[1]))]


def calendar_events(db, principal: Principal, ente: str | None = None, responsabile: str | None = None) -> list[dict]:
    """The calendar's events as plain dicts (uid, date, summary, description), in date order. ``ente``:
    (part of) an ente's name; ``responsabile``: only the steps (and rounds) of that responsible."""
    who = resp_key(responsabile) if responsabile else None
    events: list[dict] = []
    for plan_id, ente_name, titolo, import_id, y0, y1 in _plans(db, principal, ente):
        steps = db.rows(
            """SELECT s.objective_code, s.code, s.description, s.deadline, s.revised_deadline, s.responsible,
                      o.responsible,
                      (SELECT v.new_deadline FROM verifications v WHERE v.import_id = s.import_id
                        AND v.objective_code = s.objective_code AND v.step_code = s.code AND v.new_deadline IS NOT NULL
                        ORDER BY v.verified_on DESC NULLS LAST, v.row_no DESC LIMIT 1)
               FROM steps s LEFT JOIN objectives o ON o.import_id = s.import_id AND o.code = s.objective_code
              WHERE s.import_id = ? AND s.deadline IS NOT NULL AND NOT s.continuous ORDER BY s.ord""", [import_id])
        for obj, code, desc, deadline, revised, s_resp, o_resp, new_deadline in steps:
            names = step_responsibles(s_resp, o_resp)
            if who is not None and who not in {resp_key(n) for n in names}:
                continue
            effective = new_deadline or revised or deadline
            rev = f" (termine rivisto; termine originale {fmt_date(deadline)})" if effective != deadline else ""
            events.append({
                "uid": f"step-{plan_id}-{obj}-{code}@{UID_DOMAIN}", "date": effective,
                "summary": f"Scadenza step {code}{' (rivista)' if rev else ''} – {ente_name}",
                "description": f"{titolo}\nObiettivo {obj}, step {code}: {desc}\nTermine: {fmt_date(effective)}{rev}\n"
                               f"Responsabile: {', '.join(names)}"})
        for year in range(int(y0), int(y1) + 1):
            if who is None:
                for day, what in ((dt.date(year, 8, 31), "Monitoraggio intermedio"),
                                  (dt.date(year, 12, 31), "Monitoraggio finale")):
                    events.append({"uid": f"monitoraggio-{plan_id}-{day:%Y%m%d}@{UID_DOMAIN}", "date": day,
                                   "summary": f"{what} al {fmt_date(day)} – {ente_name}",
                                   "description": f"{titolo}: verifica dello stato di avanzamento al {fmt_date(day)}."})
                day = dt.date(year + 1, 6, 30)
                events.append({"uid": f"relazione-{plan_id}-{year}@{UID_DOMAIN}", "date": day,
                               "summary": f"Relazione sulla performance {year}: termine – {ente_name}",
                               "description": f"Termine di legge per l'approvazione della Relazione sulla performance "
                                              f"{year} (art. 10, c. 1, lett. b, d.lgs. 150/2009): {fmt_date(day)}."})
        for round_id, ref, due in db.rows("SELECT round_id, reference_date, due_date FROM rounds WHERE plan_id = ? "
                                          "AND closed_at IS NULL ORDER BY round_id", [plan_id]):
            if who is not None and not db.scalar("SELECT count(*) FROM round_assignments WHERE round_id = ? "
                                                 "AND resp_key = ?", [round_id, who]):
                continue
            events.append({"uid": f"giro-{round_id}@{UID_DOMAIN}", "date": due,
                           "summary": f"Risposte al giro di monitoraggio al {fmt_date(ref)} – {ente_name}",
                           "description": f"{titolo}: termine per restituire il foglio del giro di monitoraggio "
                                          f"n. {round_id} (verifiche al {fmt_date(ref)})."})
    events.sort(key=lambda e: (e["date"], e["uid"]))
    return events


def build_calendar(db, principal: Principal, ente: str | None = None, responsabile: str | None = None) -> bytes:
    """The .ics file (RFC 5545) of :func:`calendar_events`: all-day events, stable UIDs (a subscribed
    calendar updates its events instead of duplicating them)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    title = "Scadenze della performance" + (f" – {ente}" if ente else "") + (f" – {responsabile}" if responsabile else "")
    cal.add("x-wr-calname", title)
    stamp = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)   # deterministic: the content, not the moment, matters
    for e in calendar_events(db, principal, ente, responsabile):
        ev = icalendar.Event()
        ev.add("uid", e["uid"])
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e["date"])
        ev.add("dtend", e["date"] + dt.timedelta(days=1))
        ev.add("summary", e["summary"])
        ev.add("description", e["description"])
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
