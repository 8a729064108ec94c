"""Italian words that depend on a number: the one plural helper (re-exported as :func:`metrics.fmt.plural`)."""
from __future__ import annotations

from typing import Any


def plural(n: Any, one: str, many: str) -> str:
    """«1 indicatore», «3 indicatori», «1.234 step»: the number the Italian way (thousands with a dot) and
    the form that agrees with it."""
    k = int(n)
    return f"{k:,}".replace(",", ".") + f" {one if k == 1 else many}"
