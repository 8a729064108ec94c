"""Codes as a person reads them (objectives, steps, strategic objectives): natural order."""
from __future__ import annotations

import re


def natural_key(code: object) -> tuple:
    """Sort key of a code read as a person reads it: ``A.1 < A.2 < A.10``, ``1.2 < 1.10``, ``2 < 10``."""
    parts = re.split(r"(\d+)", str(code).strip().lower())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != "")


def natural_sorted(codes) -> list:
    """``codes`` in natural order: ``["8", "10", "12"]``, not ``["10", "12", "8"]``."""
    return sorted(codes, key=natural_key)
