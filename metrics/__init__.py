"""Metrics of the performance plan (rules 1–7 of the spec) read from DuckDB. No Streamlit here."""
from metrics.engine import (Context, PlanMetrics, PlanNotFound, list_plans, make_context, monitoring_dates,
                            plan_metrics, plan_versions, resolve_plan)
from metrics.settings import DEFAULT, Settings

__all__ = ["Context", "DEFAULT", "PlanMetrics", "PlanNotFound", "Settings", "list_plans", "make_context",
           "monitoring_dates", "plan_metrics", "plan_versions", "resolve_plan"]
