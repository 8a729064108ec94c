"""Column-at-a-time helpers of the columnar import (issue 20): a sheet's column is validated by
parsing each of its *distinct* values once, then mapping the results back onto the rows in C
(``map`` over a dict), instead of calling the parsers row by row. A column reports the positions
of its rows that are not clean (usually none: then nothing is done row by row).

Values are told apart by type as well as by value: ``1``, ``1.0`` and ``True`` are equal (and hash
alike) in Python but are different cells for the parsers (``True`` is «sì», ``1.0`` is 1%).
"""
from __future__ import annotations

import re
from itertools import compress
from operator import itemgetter
from typing import Any, Callable, Sequence

#: types whose values can be equal across types (1 == 1.0 == True); ``date`` and ``datetime`` never are
_NUMBERS = frozenset({bool, int, float, complex})
_identity = lambda k: k  # noqa: E731
_second = itemgetter(1)

NONE = frozenset({type(None)})
STR = frozenset({str})
STR_OR_NONE = frozenset({str, type(None)})


def _keys(values: Sequence[Any]) -> tuple[Sequence[Any], Callable[[Any], Any]]:
    """Dict keys that tell the values apart (the values themselves when no two numeric types are
    mixed), and how to get a value back from its key."""
    if len(_NUMBERS.intersection(map(type, values))) <= 1:
        return values, _identity
    return list(zip(map(type, values), values)), _second


_NEEDS_SQUASH = re.compile(r"[^\S ]|  ")   # a whitespace other than one space: ``\s+`` → " " changes the text


def squash_codes(values: Sequence[Any], squash: Callable[[str], str]) -> list[Any]:
    """``[squash(v) if v is a str else None for v in values]`` (codes with runs of whitespace made one
    space). A column of texts none of which needs it — the usual case — is checked in one C pass."""
    if STR.issuperset(map(type, values)) and not _NEEDS_SQUASH.search("\0".join(values)):
        return list(values)
    return by_value(values, lambda v: squash(v) if v.__class__ is str else None)


def by_value(values: Sequence[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """``[fn(v) for v in values]``, with ``fn`` called once per distinct (type, value).

    Raises ``TypeError`` for an unhashable value (the caller then takes the row-by-row path)."""
    keys, value_of = _keys(values)
    table = {k: fn(value_of(k)) for k in dict.fromkeys(keys)}
    return list(map(table.__getitem__, keys))


def parse_column(values: Sequence[Any], fn: Callable[[Any], tuple[Any, Any]]) -> tuple[list[Any], list[int]]:
    """``fn(v) → (parsed, error)`` once per distinct value: the parsed column, and the positions of
    the rows whose value has an error (``error`` true, as the reference path tests it)."""
    keys, value_of = _keys(values)
    parsed: dict[Any, Any] = {}
    bad: set[Any] = set()
    for k in dict.fromkeys(keys):
        v, err = fn(value_of(k))
        parsed[k] = v
        if err:
            bad.add(k)
    out = list(map(parsed.__getitem__, keys))
    return out, (list(compress(range(len(keys)), map(bad.__contains__, keys))) if bad else [])


def not_of_types(values: Sequence[Any], types: frozenset) -> list[int]:
    """The positions of the values whose exact type is not one of ``types`` (``STR``: a cleaned text cell)."""
    if types.issuperset(map(type, values)):
        return []
    return list(compress(range(len(values)), (t not in types for t in map(type, values))))


def where(flags: Sequence[Any]) -> list[int]:
    """The positions of the true ``flags``."""
    return list(compress(range(len(flags)), flags))
