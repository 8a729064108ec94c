"""Today's date, in one place (spec revision 3: an as-of date is never after today).

Tests and demos fix «today» with the environment variable ``CRUSCOTTO_OGGI`` (ISO date, ``2026-12-07``)
or with :func:`set_today`; everything else asks :func:`today`.
"""
from __future__ import annotations

import datetime as dt
import os

_fixed: dt.date | None = None


def set_today(day: dt.date | None) -> None:
    """Fix «today» (None = the real date again). For tests."""
    global _fixed
    _fixed = day


def today() -> dt.date:
    """The date the figures may reach: a fixed one (tests) or the machine's."""
    if _fixed is not None:
        return _fixed
    env = os.environ.get("CRUSCOTTO_OGGI", "").strip()
    if env:
        try:
            return dt.date.fromisoformat(env)
        except ValueError:
            pass
    return dt.date.today()
