"""The result of reading a workbook: the plan's fields, its tables and the problems found. On its own so
that the isolated child (:mod:`loaders.isolate`) and the validation (:mod:`loaders.validate`) share it
without importing each other."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from loaders.problems import ProblemList


@dataclass
class ParsedPlan:
    meta: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: ProblemList = field(default_factory=ProblemList)
    profile: Any = None   # domain.profile.Profile of the optional sheet «Sistema di misurazione»
    variances: Any = None  # rows of the optional sheet «Scostamenti» (loaders/variance_sheet.py), None = no sheet

    @property
    def ok(self) -> bool:
        return not self.problems.errors

    def count(self, table: str) -> int:
        df = self.tables.get(table)
        return 0 if df is None else len(df)
