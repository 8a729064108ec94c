"""«Variazione dal controllo precedente»: the plan's figure at the check before this one, for the summary
slide of the board deck. The previous check is the latest monitoring date of the same plan version
before the as-of date, else the previous version of the plan (at its own as-of date)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from metrics.engine import PlanMetrics, monitoring_dates, plan_metrics, plan_versions
from metrics.fmt import fmt_date
from store import Database


@dataclass(frozen=True)
class Previous:
    """The figure of the previous check and what it was: ``label`` reads «monitoraggio del 31/08/2023»
    or «versione 1 del piano (31/12/2022)»."""
    as_of: dt.date
    achievement: float | None
    label: str


def previous_check(db: Database, pm: PlanMetrics) -> Previous | None:
    """The previous check of ``pm``'s plan (None when this is the first)."""
    c = pm.ctx
    earlier = [d for d in monitoring_dates(db, c.import_id) if d < c.as_of and d.year == c.year]
    if earlier:
        prev = plan_metrics(db, c.plan_id, c.import_id, year=c.year, as_of=earlier[-1])
        return Previous(prev.ctx.as_of, prev.achievement, f"monitoraggio del {fmt_date(prev.ctx.as_of)}")
    versions = plan_versions(db, c.plan_id)
    older = versions[versions["version"] < c.version]
    if len(older):
        row = older.iloc[0]   # ordered by version, newest first
        prev = plan_metrics(db, c.plan_id, int(row["import_id"]), year=c.year)
        if prev.ctx.as_of <= c.as_of:
            return Previous(prev.ctx.as_of, prev.achievement,
                            f"versione {int(row['version'])} del piano ({fmt_date(prev.ctx.as_of)})")
    return None
