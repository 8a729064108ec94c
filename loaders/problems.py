"""Problems found in a workbook: each names sheet, row, column and value, in Italian."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ERROR = "errore"
WARNING = "avviso"


@dataclass(frozen=True)
class Problem:
    severity: str                 # "errore" refuses the import, "avviso" lets it proceed
    message: str
    sheet: str | None = None
    row: int | None = None        # Excel row number (1-based)
    column: str | None = None     # header as written in the file (or canonical name)
    value: str | None = None

    @classmethod
    def file(cls, message: str) -> "Problem":
        return cls(ERROR, message)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def location(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"foglio «{self.sheet}»")
        if self.row:
            parts.append(f"riga {self.row}")
        if self.column:
            parts.append(f"colonna «{self.column}»")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        head = f"{self.severity.capitalize()}"
        if loc:
            head += f" — {loc}"
        val = f" [valore: «{self.value}»]" if self.value not in (None, "") else ""
        return f"{head}: {self.message}{val}"

    def to_dict(self) -> dict[str, Any]:
        # = dataclasses.asdict(self), without its deep copy of plain strings (1.000 warnings: 27 → 2 ms)
        return {"severity": self.severity, "message": self.message, "sheet": self.sheet, "row": self.row,
                "column": self.column, "value": self.value}


class ProblemList(list):
    """Problems in reading order, with helpers to add them."""

    def error(self, message: str, sheet=None, row=None, column=None, value=None) -> None:
        self.append(Problem(ERROR, message, sheet, row, column, _short(value)))

    def warning(self, message: str, sheet=None, row=None, column=None, value=None) -> None:
        self.append(Problem(WARNING, message, sheet, row, column, _short(value)))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self if not p.is_error]


def _short(value: Any, limit: int = 120) -> str | None:
    if value is None:
        return None
    s = value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else str(value)
    s = s.strip()
    return s if len(s) <= limit else s[: limit - 1] + "…"
