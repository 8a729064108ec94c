"""Workbook → validated rows. Collects *every* problem before anything is written.

The result is a :class:`ParsedPlan`: the plan's identity, one DataFrame per table
of ``store/schema.sql`` (without ``import_id``) and the list of problems. The
import is refused if any problem is an error.
"""
from __future__ import annotations

import datetime as dt
import gc
import re
from collections import defaultdict
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from operator import itemgetter
from typing import Any, Iterator

import pandas as pd

from domain import status as S
from loaders import parsing as P
from loaders import columnar as C
from loaders import profile_sheet, variance_sheet
from loaders.parsed import ParsedPlan
from loaders.problems import Problem, ProblemList
from loaders.spec import PLAN_FIELDS, SHEET_BY_KEY, SHEETS, HeaderMap, SheetSpec, find_header, match_sheet
from loaders.workbook import SheetReader, SheetReadError, check_archive, read_rows  # noqa: F401 (read_rows: API)
from store.enti import IPA_RE

TABLE_COLUMNS: dict[str, list[str]] = {
    "areas": ["code", "name", "row_no"],
    "strategic_objectives": ["code", "name", "area_code", "row_no"],
    "objectives": ["code", "title", "type", "weight", "weight_raw", "year_added", "public_value", "stakeholders",
                   "responsible", "missione", "programma", "description", "notes", "row_no", "ord"],
    "objective_links": ["objective_code", "strategic_code"],
    "steps": ["objective_code", "code", "description", "start_date", "deadline", "revised_deadline", "deadline_raw",
              "continuous", "kpi", "weight", "weight_raw", "responsible", "printed_year", "printed_year_weight",
              "notes", "row_no", "ord"],
    "verifications": ["objective_code", "step_code", "verified_on", "status", "status_raw", "achievement",
                      "completed_on", "new_deadline", "note", "not_attributable", "row_no"],
    "indicators": ["objective_code", "code", "name", "algorithm", "unit", "baseline_raw", "target_raw", "direction",
                   "value_raw", "measured_on", "org_area", "row_no"],
    "staff": ["objective_code", "name", "role", "participation", "grade", "row_no", "matricola", "part_time",
              "presence", "service_months", "category"],
}


IGNORED_SHEETS = {"istruzioni", "leggimi", "note", "esempio",   # «Esempio»: the template's example
                  "sistemadimisurazione",   # loaders/profile_sheet.py
                  "scostamenti"}            # loaders/variance_sheet.py (issue 16)


@dataclass
class _Sheet:
    spec: SheetSpec
    name: str                     # as written in the file
    rows: list[list]
    header: HeaderMap
    headers: dict[str, str]       # key → header as written
    #: required columns the sheet lacks (already an error): its other values are still checked (issue 15)
    missing: frozenset = frozenset()

    def col(self, key: str) -> str:
        return self.headers.get(key) or next(c.header for c in self.spec.columns if c.key == key)

    def record(self, row_no: int) -> tuple[dict[str, Any], list[str]] | None:
        """({key: value}, notes from unknown columns) of one Excel row; None when its known cells are empty.

        Strings are stripped here, so every non-empty value in ``rec`` is already trimmed
        (``_Validator.text`` relies on it)."""
        row = self.rows[row_no - 1]
        n = len(row)
        rec: dict[str, Any] = {}
        empty = True
        for key, i in self.header.columns.items():
            v = row[i] if i < n else None
            if isinstance(v, str):
                v = v.strip() or None
            if v is not None:
                empty = False
            rec[key] = v
        yw = self.header.year_weight
        if yw is not None:
            v = row[yw[0]] if yw[0] < n else None
            rec["_year_weight"] = v if v not in ("", None) else None
        if empty:
            return None
        return rec, self.notes(row_no)

    def notes(self, row_no: int) -> list[str]:
        """«header: value» of the unknown columns of a row (sheets that keep them as notes)."""
        if not self.spec.keep_unknown_as_notes:
            return []
        row = self.rows[row_no - 1]
        n = len(row)
        notes = []
        for i, h in self.header.unknown.items():
            v = P.cell_text(row[i]) if i < n else None
            if v:
                notes.append(f"{h}: {v}")
        return notes

    def joined_notes(self, row_nos: list[int]) -> list[str | None]:
        """``"\\n".join(self.notes(r)) or None`` for each of ``row_nos``, column by column (big sheets)."""
        if not self.spec.keep_unknown_as_notes or not self.header.unknown:
            return [None] * len(row_nos)
        cell_text, rows = P.cell_text, [self.rows[r - 1] for r in row_nos]
        per_column = []
        for i, h in self.header.unknown.items():
            prefix = f"{h}: "
            values = [(row[i].strip() or None) if i < len(row) and row[i].__class__ is str
                      else cell_text(row[i]) if i < len(row) else None for row in rows]
            per_column.append([prefix + v if v else None for v in values])
        return ["\n".join(filter(None, parts)) or None for parts in zip(*per_column)]

    def records(self) -> Iterator[tuple[int, dict[str, Any], list[str]]]:
        """(excel row, {key: value}, notes from unknown columns) for each non-empty row."""
        for r in range(self.header.row_index + 2, len(self.rows) + 1):
            item = self.record(r)
            if item is not None:
                yield r, item[0], item[1]

    def columns(self) -> tuple[list[int], dict[str, list[Any]]] | None:
        """Columnar twin of :meth:`records` for the big sheets: (Excel row numbers, {key: values}) of
        the non-empty rows, values cleaned exactly as :meth:`record` does (without ``_year_weight``
        and notes). None when a row is shorter than the header: then use :meth:`records`."""
        idx = self.header.columns
        rows = self.rows[self.header.row_index + 1:]
        if not idx or min(map(len, rows), default=0) <= max(idx.values()):
            return None
        cols = {key: [(v.strip() or None) if isinstance(v, str) else v for v in map(itemgetter(i), rows)]
                for key, i in idx.items()}
        first = self.header.row_index + 2  # Excel row of rows[0]
        row_nos = list(range(first, first + len(rows)))
        if any(None not in values for values in cols.values()):   # a column filled on every row: no empty row
            return row_nos, cols
        n = len(cols)
        keep = [t.count(None) != n for t in zip(*cols.values())]
        if not all(keep):
            row_nos = list(compress(row_nos, keep))
            cols = {key: list(compress(values, keep)) for key, values in cols.items()}
        return row_nos, cols


def _verification_status(status_raw: str | None, not_attributable: bool, achievement: float | None) -> str:
    """Stato normalizzato of a verification; with no «Stato» text it follows the «Raggiungimento»."""
    status = P.normalize_status(status_raw, not_attributable)
    if status_raw is None and not not_attributable:
        status = (S.STATUS_ACHIEVED if achievement == 100 else S.STATUS_PARTIAL if achievement and achievement > 0
                  else S.STATUS_NOT_ACHIEVED if achievement == 0 else S.STATUS_UNKNOWN)
    return status


_SPACES_RE = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def _squash_spaces(code: str) -> str:
    """A code with runs of whitespace made one space (codes repeat: cached)."""
    return _SPACES_RE.sub(" ", code)


_STATUS_TO_REPORT = frozenset({S.STATUS_UNKNOWN, S.STATUS_PARTIAL})   # with no «Raggiungimento», partial

# validated first, in this order: their sheets are located before the others (see locate_sheets)
EARLY_SHEETS = {"plan", "areas", "strategic", "objectives", "steps"}


class _Validator:
    def __init__(self) -> None:
        self._pending: tuple | None = None
        self.problems = ProblemList()
        self.meta: dict[str, Any] = {}
        self.year: int | None = None

    # ------------------------------------------------------------------ helpers
    def text(self, sh: _Sheet, rec: dict, key: str, row: int, required: bool = False) -> str | None:
        v = rec.get(key)
        if v.__class__ is not str:  # strings in ``rec`` are already trimmed and non-empty (see records)
            v = P.cell_text(v)
        if v is None and required and key not in sh.missing:   # a missing column is one error, not one a row
            self.problems.error("campo obbligatorio vuoto", sh.name, row, sh.col(key))
        return v

    def code(self, sh: _Sheet, rec: dict, key: str, row: int, required: bool = True) -> str | None:
        v = self.text(sh, rec, key, row, required)
        return _squash_spaces(v) if v else v

    def objective_ref(self, sh: _Sheet, rec: dict, row: int, objective_codes: set[str]) -> str | None:
        """The row's «Obiettivo» code, which must exist in the sheet «Obiettivi»."""
        obj = self.code(sh, rec, "objective_code", row)
        if obj and obj not in objective_codes:
            self.problems.error(f"obiettivo «{obj}» non trovato nel foglio «Obiettivi»",
                                sh.name, row, sh.col("objective_code"), obj)
        return obj

    def date(self, sh: _Sheet, rec: dict, key: str, row: int) -> dt.date | None:
        value = rec.get(key)
        if value is None:
            return None
        d, err = P.parse_date(value, self.year)
        if err:
            self.problems.error(f"data non valida: {err}", sh.name, row, sh.col(key), value)
        return d

    def percent(self, sh: _Sheet, rec: dict, key: str, row: int) -> float | None:
        if rec.get(key) is None:
            return None
        p, err = P.parse_percent(rec.get(key))
        if err:
            self.problems.error(err, sh.name, row, sh.col(key), rec.get(key))
        return p

    def check_duplicates(self, sh: _Sheet, keys: list[tuple[Any, int]], what: str, key_col: str) -> None:
        seen: dict[Any, int] = {}
        for k, row in keys:
            if k is None:
                continue
            if k in seen:
                label = k if isinstance(k, str) else " / ".join(str(x) for x in k)
                self.problems.error(f"codice duplicato: {what} «{label}» compare già alla riga {seen[k]}",
                                    sh.name, row, sh.col(key_col), label)
            else:
                seen[k] = row

    # ------------------------------------------------------------------ sheets
    def locate_sheets(self, raw: Mapping[str, list[list]], lazy: bool = False) -> dict[str, _Sheet]:
        """Find every sheet's header. With ``lazy`` (rows read in the background, see
        :class:`~loaders.workbook.SheetReader`) the sheets after the five validated first (Piano … Step)
        are located by :meth:`finish_locate`, later, while they are still being read; their problems are
        then put back in their place: the problem list is the same as without ``lazy``."""
        found: dict[str, _Sheet] = {}
        hidden = getattr(raw, "hidden", frozenset())
        names = [n for n in raw if n not in hidden] + [n for n in raw if n in hidden]   # visible ones first
        specs = [match_sheet(n) for n in names]
        self._ambiguous_visible(names, specs, hidden)
        self._hidden = hidden
        late = [i for i, sp in enumerate(specs) if sp is None or sp.key not in EARLY_SHEETS]
        cut = late[0] if lazy and late and all(specs[i] is None or specs[i].key not in EARLY_SHEETS
                                               for i in range(late[0], len(names))) else len(names)
        for name, spec in zip(names[:cut], specs[:cut]):
            self._locate_one(name, spec, raw[name], found)
        self._pending = (names[cut:], specs[cut:], len(self.problems), raw, found)
        if cut == len(names):
            self.finish_locate()
        return found

    def _ambiguous_visible(self, names: list[str], specs: list, hidden: frozenset[str]) -> None:
        """Spec revision 3: two visible sheets matching one name are refused, naming both (which one is
        the plan's cannot be guessed). Rows given as a plain dict: every sheet is visible."""
        self._refused_keys: set[str] = set()
        seen: dict[str, str] = {}
        for name, spec in zip(names, specs):
            if spec is None or name in hidden:
                continue
            if spec.key in seen:
                self._refused_keys.add(spec.key)
                self.problems.error(
                    f"due fogli visibili corrispondono a «{spec.name}»: «{seen[spec.key]}» e «{name}». "
                    "Rinominare, nascondere o eliminare quello da non importare.", name)
            else:
                seen[spec.key] = name

    def finish_locate(self, until: str | None = None) -> None:
        """Locate the sheets :meth:`locate_sheets` left for later; their problems go where they belong.
        With ``until`` (a sheet key), stop once that sheet is found: the next call locates the rest, and
        their problems follow these (the biggest sheet is validated while the last ones are still read)."""
        if self._pending is None:
            return
        names, specs, pos, raw, found = self._pending
        after = self.problems[pos:]
        del self.problems[pos:]
        i = 0
        while i < len(names) and (until is None or until not in found):
            self._locate_one(names[i], specs[i], raw[names[i]], found)
            i += 1
        if i < len(names):
            self._pending = (names[i:], specs[i:], len(self.problems), raw, found)
        else:
            self._pending = None
            self._locate_end(raw, found)
        self.problems.extend(after)

    def _locate_one(self, name: str, spec: SheetSpec | None, rows: list[list], found: dict[str, _Sheet]) -> None:
        if spec is None:
            if P.norm_key(name) in IGNORED_SHEETS:
                return
            if any(any(c not in (None, "") for c in r) for r in rows[:50]):
                self.problems.warning(f"foglio «{name}» non previsto dal formato: ignorato", name)
            return
        if spec.key in self._refused_keys:
            return
        if spec.key in found:
            if name in getattr(self, "_hidden", ()):
                self.problems.warning(f"foglio nascosto «{name}» ignorato: vale il foglio visibile "
                                      f"«{found[spec.key].name}»", name)
            else:
                self.problems.warning(f"foglio «{name}» duplicato di «{found[spec.key].name}»: ignorato", name)
            return
        hm = find_header(spec, rows)
        if spec.key == "plan" and (hm is None or len(hm.columns) < 2):
            hm = HeaderMap(-1, {"field": 0, "value": 1})
        if hm is None:
            self.problems.error(
                "intestazioni non trovate: la prima riga deve contenere " +
                ", ".join(f"«{c.header}»" for c in spec.required_columns), name, 1)
            return
        row0 = rows[hm.row_index] if hm.row_index >= 0 else []
        headers = {k: str(row0[i]).strip() for k, i in hm.columns.items()} if row0 else {}
        sh = _Sheet(spec, name, rows, hm, headers)
        missing = [c for c in spec.required_columns if c.key not in hm.columns]
        for c in missing:
            accepted = ", ".join(f"«{s}»" for s in (c.header,) + c.synonyms)
            self.problems.error(f"colonna obbligatoria «{c.header}» mancante (intestazioni accettate: {accepted})",
                                name, hm.row_index + 1, c.header)
        for i, h in hm.unknown.items():
            what = "conservata nelle note" if spec.keep_unknown_as_notes else "ignorata"
            self.problems.warning(f"colonna «{h}» non prevista: {what}", name, hm.row_index + 1, h)
        for i, h in hm.duplicates:
            self.problems.warning(f"colonna «{h}» ripetuta: vale la prima", name, hm.row_index + 1, h)
        # issue 15: a sheet lacking a required column is still read, so that every other fault of the file is
        # reported together with it (the import is refused by that error anyway)
        sh.missing = frozenset(c.key for c in missing)
        found[spec.key] = sh

    def _locate_end(self, raw: Mapping[str, list[list]], found: dict[str, _Sheet]) -> None:
        for spec in SHEETS:
            if spec.required and spec.key not in found and not any(match_sheet(n) is spec for n in raw):
                present = ", ".join(f"«{n}»" for n in raw) or "nessuno"
                self.problems.error(f"foglio obbligatorio «{spec.name}» mancante (fogli presenti: {present})", spec.name)

    def plan(self, sh: _Sheet) -> None:
        values: dict[str, tuple[Any, int]] = {}
        for row, rec, _ in sh.records():
            name = P.cell_text(rec.get("field"))
            if not name:
                continue
            k = P.norm_key(name)
            col = next((c for c in PLAN_FIELDS if c.matches(k)), None)
            if col is None:
                self.problems.warning(f"campo «{name}» non previsto: ignorato", sh.name, row, sh.col("field"), name)
                continue
            values[col.key] = (rec.get("value"), row)
        vcol = sh.col("value")
        for c in PLAN_FIELDS:
            v, row = values.get(c.key, (None, None))
            if c.required and (v is None or P.cell_text(v) is None):
                self.problems.error(f"campo «{c.header}» obbligatorio mancante o vuoto", sh.name, row, vcol)
                continue
            if c.key in ("anno_inizio", "anno_fine"):
                n = P.parse_number_it(P.cell_text(v) or "")
                if n is None or not n.is_integer() or not 1990 <= n <= 2100:
                    self.problems.error(f"«{c.header}» deve essere un anno (es. 2025)", sh.name, row, vcol, v)
                    continue
                self.meta[c.key] = int(n)
            elif c.key == "codice_ipa":  # optional: one identity per ente (store/enti.py)
                ipa = P.cell_text(v)
                if ipa is not None and not IPA_RE.fullmatch(ipa.strip()):
                    self.problems.error("«Codice IPA» non valido: solo lettere, cifre e _ (es. cssm_cn)", sh.name,
                                        row, vcol, v)
                self.meta[c.key] = ipa.strip() if ipa else None
            elif c.key == "data_monitoraggio":
                d, err = P.parse_date(v)
                if err:
                    self.problems.error(f"data non valida: {err}", sh.name, row, vcol, v)
                self.meta[c.key] = d
            else:
                self.meta[c.key] = re.sub(r"\s+", " ", P.cell_text(v))
        self.plan_rows = {k: r for k, (_, r) in values.items()}  # issue 12: located limits (loaders.guard)
        a, b = self.meta.get("anno_inizio"), self.meta.get("anno_fine")
        if a and b and b < a:
            self.problems.error(f"«Anno fine» ({b}) precede «Anno inizio» ({a})", sh.name, values["anno_fine"][1], vcol, b)
        self.year = a

    def areas(self, sh: _Sheet | None) -> pd.DataFrame:
        out, keys = [], []
        if sh:
            for row, rec, _ in sh.records():
                code = self.code(sh, rec, "code", row)
                name = self.text(sh, rec, "name", row, True)
                keys.append((code, row))
                out.append((code, name, row))
            self.check_duplicates(sh, keys, "area", "code")
        return pd.DataFrame(out, columns=TABLE_COLUMNS["areas"])

    def strategic(self, sh: _Sheet | None, area_codes: set[str], areas_present: bool) -> pd.DataFrame:
        out, keys = [], []
        if sh:
            for row, rec, _ in sh.records():
                code = self.code(sh, rec, "code", row)
                name = self.text(sh, rec, "name", row, True)
                area = self.code(sh, rec, "area_code", row, required=False)
                if area and area not in area_codes:
                    where = "nel foglio «Aree»" if areas_present else "(manca il foglio «Aree»)"
                    self.problems.error(f"area «{area}» non trovata {where}", sh.name, row, sh.col("area_code"), area)
                keys.append((code, row))
                out.append((code, name, area, row))
            self.check_duplicates(sh, keys, "obiettivo strategico", "code")
        return pd.DataFrame(out, columns=TABLE_COLUMNS["strategic_objectives"])

    def objectives(self, sh: _Sheet, strategic_codes: set[str], strategic_present: bool):
        out, links, keys, weights = [], [], [], []
        for ord_, (row, rec, notes) in enumerate(sh.records()):
            code = self.code(sh, rec, "code", row)
            title = self.text(sh, rec, "title", row, True)
            typ = self.text(sh, rec, "type", row) or "performance"
            low = typ.lower()
            typ = "PEG" if low == "peg" else low if low in ("performance", "individuale") else typ
            w, err = P.parse_weight(rec.get("weight"))
            if err:
                self.problems.error(err, sh.name, row, sh.col("weight"), rec.get("weight"))
            weights.append(w)
            year_added, err = P.parse_year(rec.get("year_added"))  # issue 12: a range, an error
            if err:
                self.problems.error(f"anno di inserimento non valido: {err}", sh.name, row, sh.col("year_added"),
                                    rec.get("year_added"))
            links_txt = P.cell_text(rec.get("strategic_codes"))
            if links_txt and code:
                link_codes, n_empty = P.split_codes(links_txt)  # issue 12: empty items are a warning
                if n_empty:
                    self.problems.warning(f"elenco con {n_empty} {'elemento vuoto' if n_empty == 1 else 'elementi vuoti'}"
                                          " (separatori ripetuti o finali): ignorati", sh.name, row,
                                          sh.col("strategic_codes"), links_txt)
                for sc in link_codes:
                    if sc not in strategic_codes:
                        where = "nel foglio «Obiettivi strategici»" if strategic_present else "(manca il foglio «Obiettivi strategici»)"
                        self.problems.error(f"obiettivo strategico «{sc}» non trovato {where}",
                                            sh.name, row, sh.col("strategic_codes"), sc)
                    else:
                        links.append((code, sc))
            keys.append((code, row))
            out.append([code, title, typ, None, P.cell_text(rec.get("weight")), year_added,
                        self.text(sh, rec, "public_value", row), self.text(sh, rec, "stakeholders", row),
                        self.text(sh, rec, "responsible", row), self.text(sh, rec, "missione", row),
                        self.text(sh, rec, "programma", row), self.text(sh, rec, "description", row),
                        "\n".join(notes) or None, row, ord_])
        self.check_duplicates(sh, keys, "obiettivo", "code")
        for rec_, w in zip(out, P.scale_weights(weights)):
            rec_[3] = w
        given = [r[3] for r in out if r[3] is not None]
        if out and len(given) < len(out) and given:
            missing = len(out) - len(given)
            self.problems.warning(f"{missing} {'obiettivo senza peso: conta' if missing == 1 else 'obiettivi senza peso: contano'}"
                                  " con il peso medio degli altri",
                                  sh.name, None, sh.col("weight"))
        return (pd.DataFrame(out, columns=TABLE_COLUMNS["objectives"]),
                pd.DataFrame(links, columns=TABLE_COLUMNS["objective_links"]))

    def steps(self, sh: _Sheet, objective_codes: set[str]) -> pd.DataFrame:
        out, keys = [], []
        by_obj_weights: dict[str, list[tuple[int, Any]]] = defaultdict(list)
        cols = sh.columns()
        if cols is not None:
            table = self._steps_columnar(sh, *cols, objective_codes)
            if table is not None:
                return table
        rows = (self._step(sh, row, rec, notes, ord_, objective_codes)
                for ord_, (row, rec, notes) in enumerate(sh.records()))
        for values, w in rows:
            obj = values[0]
            keys.append(((obj, values[1]), values[15]))
            by_obj_weights[obj].append((len(out), w))
            out.append(values)
        self.check_duplicates(sh, keys, "step (obiettivo / codice)", "code")
        for obj, items in by_obj_weights.items():
            scaled = P.scale_weights([w for _, w in items])
            for (i, _), s in zip(items, scaled):
                out[i][9] = s
            missing = sum(1 for s in scaled if s is None)
            if missing:
                self.problems.warning(
                    f"obiettivo «{obj}»: {missing} step su {len(items)} senza peso: pesi uguali" if missing == len(items)
                    else f"obiettivo «{obj}»: {missing} step senza peso: contano con il peso medio degli altri",
                    sh.name, out[items[0][0]][15], sh.col("weight"))
        return pd.DataFrame(out, columns=TABLE_COLUMNS["steps"])

    def _steps_columnar(self, sh: _Sheet, row_nos: list[int], cols: dict[str, list], objective_codes: set[str]
                        ) -> pd.DataFrame | None:
        """The columnar path of «Step» (issue 20), as :meth:`_verifications_columnar`: whole columns
        parsed once per distinct value; the rows with something to report go, in row order, through
        :meth:`_step` (the reference path), and a recurring step's warning («Al bisogno»…) is given
        in its place among them; then duplicates and weights as :meth:`steps` does. None (nothing
        reported yet) when a value cannot be handled by columns (unhashable)."""
        n = len(row_nos)
        none = [None] * n
        get = lambda key: cols.get(key, none)  # noqa: E731
        year, yw = self.year, sh.header.year_weight
        date = lambda v: P.parse_date(v, year) if v is not None else (None, None)  # noqa: E731
        deadline = lambda v: P.parse_deadline(v, year) if v is not None else None  # noqa: E731
        try:
            dirty = (C.not_of_types(get("objective_code"), C.STR) + C.not_of_types(get("code"), C.STR)
                     + C.not_of_types(get("description"), C.STR) + C.not_of_types(get("kpi"), C.STR_OR_NONE)
                     + C.not_of_types(get("responsible"), C.STR_OR_NONE))
            objs, codes = C.squash_codes(get("objective_code"), _squash_spaces), C.squash_codes(get("code"), _squash_spaces)
            dirty += C.where([o not in objective_codes for o in objs])
            starts, bad = C.parse_column(get("start_date"), date)
            dirty += bad
            raw_deadlines = get("deadline")
            dls = C.by_value(raw_deadlines, deadline)
            dirty += C.where([d is None or bool(d.error) for d in dls])
            weights, bad = C.parse_column(get("weight"), P.parse_weight)
            dirty += bad
            printed: list = none
            if yw is not None:
                rows, i = sh.rows, yw[0]
                cells = [r[i] if i < len(r) else None for r in (rows[x - 1] for x in row_nos)]
                printed, bad = C.parse_column(cells, lambda v: P.parse_percent(v) if v not in ("", None) else (None, None))
                dirty += bad
            deadline_raw, weight_raw = C.by_value(raw_deadlines, P.cell_text), C.by_value(get("weight"), P.cell_text)
        except TypeError:   # an unhashable value: the row-by-row path
            return None
        notes = sh.joined_notes(row_nos)
        columns = [objs, codes, list(get("description")), starts, [d and d.deadline for d in dls],
                   [d and d.revised for d in dls], deadline_raw, [d and d.continuous for d in dls], list(get("kpi")),
                   [None] * n, weight_raw, list(get("responsible")),
                   [yw[1] if p is not None else None for p in printed] if yw is not None else [None] * n,
                   list(printed), notes, list(row_nos), list(range(n))]
        dirty_set = set(dirty)
        warned = C.where([d is not None and bool(d.warning) for d in dls])
        warn, deadline_col = self.problems.warning, sh.col("deadline")
        for i in sorted(dirty_set.union(warned)):   # in row order: reference rows, and recurring steps' warnings
            row = row_nos[i]
            if i in dirty_set:
                rec, notes_ = sh.record(row)
                values, weights[i] = self._step(sh, row, rec, notes_, i, objective_codes)
                for col, v in zip(columns, values):
                    col[i] = v
            else:
                warn(dls[i].warning, sh.name, row, deadline_col, raw_deadlines[i])
        objs, codes, rows_col = columns[0], columns[1], columns[15]
        keys = list(zip(objs, codes))
        if len(set(keys)) < n:
            self.check_duplicates(sh, list(zip(keys, rows_col)), "step (obiettivo / codice)", "code")
        groups: dict[str, list[int]] = defaultdict(list)
        for i, o in enumerate(objs):
            groups[o].append(i)
        scaled_col = columns[9]
        for obj, items in groups.items():
            scaled = P.scale_weights([weights[i] for i in items])
            for i, w in zip(items, scaled):
                scaled_col[i] = w
            missing = scaled.count(None) if isinstance(scaled, list) else sum(1 for w in scaled if w is None)
            if missing:
                self.problems.warning(
                    f"obiettivo «{obj}»: {missing} step su {len(items)} senza peso: pesi uguali" if missing == len(items)
                    else f"obiettivo «{obj}»: {missing} step senza peso: contano con il peso medio degli altri",
                    sh.name, rows_col[items[0]], sh.col("weight"))
        return pd.DataFrame(dict(zip(TABLE_COLUMNS["steps"], columns)), columns=TABLE_COLUMNS["steps"])

    def _step(self, sh: _Sheet, row: int, rec: dict, notes: list[str], ord_: int,
              objective_codes: set[str]) -> tuple[list, P.Weight | None]:
        """One row of «Step» (its values, weight not yet scaled) with every problem it has (the reference path)."""
        yw = sh.header.year_weight
        obj = self.code(sh, rec, "objective_code", row)
        if obj and obj not in objective_codes:
            self.problems.error(f"obiettivo «{obj}» non trovato nel foglio «Obiettivi»",
                                sh.name, row, sh.col("objective_code"), obj)
        code = self.code(sh, rec, "code", row)
        desc = self.text(sh, rec, "description", row, True)
        start = self.date(sh, rec, "start_date", row)
        raw_deadline = rec.get("deadline")
        dl = P.parse_deadline(raw_deadline, self.year)
        if dl.error:
            self.problems.error(f"termine non valido: {dl.error}", sh.name, row, sh.col("deadline"), raw_deadline)
        elif dl.warning:
            self.problems.warning(dl.warning, sh.name, row, sh.col("deadline"), raw_deadline)
        elif raw_deadline is None:
            self.problems.warning("termine vuoto: lo step non ha scadenza", sh.name, row, sh.col("deadline"))
        w, err = P.parse_weight(rec.get("weight"))
        if err:
            self.problems.error(err, sh.name, row, sh.col("weight"), rec.get("weight"))
        printed = None
        if yw and rec.get("_year_weight") is not None:
            printed, perr = P.parse_percent(rec.get("_year_weight"))
            if perr:
                yw_header = sh.rows[sh.header.row_index][yw[0]]
                self.problems.warning(f"colonna di controllo: {perr}", sh.name, row, str(yw_header), rec.get("_year_weight"))
        return [obj, code, desc, start, dl.deadline, dl.revised, P.cell_text(raw_deadline), dl.continuous,
                self.text(sh, rec, "kpi", row), None, P.cell_text(rec.get("weight")),
                self.text(sh, rec, "responsible", row), yw[1] if printed is not None else None, printed,
                "\n".join(notes) or None, row, ord_], w

    def verifications(self, sh: _Sheet | None, steps: pd.DataFrame,
                      step_objs: dict[str, list[str]] | None = None) -> pd.DataFrame:
        """«Verifiche»; ``step_objs``: the objectives of each step code (from ``steps`` when not given)."""
        out = []
        if sh is None:
            return pd.DataFrame(out, columns=TABLE_COLUMNS["verifications"])
        if step_objs is None:
            step_objs = defaultdict(list)
            for o, c in zip(_values(steps["objective_code"]), _values(steps["code"])):
                step_objs[c].append(o)
        has_obj_col = "objective_code" in sh.header.columns
        cols = sh.columns()
        if cols is not None:
            table = self._verifications_columnar(sh, *cols, step_objs, has_obj_col, steps)
            if table is not None:
                return table
        out = [self._verification(sh, row, rec, step_objs, has_obj_col) for row, rec, _ in sh.records()]
        return pd.DataFrame(out, columns=TABLE_COLUMNS["verifications"])

    def _verifications_columnar(self, sh: _Sheet, row_nos: list[int], cols: dict[str, list],
                                step_objs: dict[str, list[str]], has_obj_col: bool,
                                steps: pd.DataFrame) -> pd.DataFrame | None:
        """The columnar path of «Verifiche» (issue 20): every column is checked and parsed whole, each
        distinct value once (:mod:`loaders.columnar`); a row with anything to report — any column not
        clean — is then handed, in row order, to :meth:`_verification` (the reference path), so the
        table *and* the problems (their order included) are exactly those of the reference path.
        None (nothing reported yet) when a value cannot be handled by columns (unhashable)."""
        n = len(row_nos)
        none = [None] * n
        get = lambda key: cols.get(key, none)  # noqa: E731
        year = self.year
        squash = lambda v: _squash_spaces(v) if v.__class__ is str else None  # noqa: E731
        date = lambda v: P.parse_date(v, year) if v is not None else (None, None)  # noqa: E731
        percent = lambda v: P.parse_percent(v) if v is not None else (None, None)  # noqa: E731
        try:
            codes = C.squash_codes(get("step_code"), _squash_spaces)
            dirty = C.not_of_types(get("step_code"), C.STR)
            # «Obiettivo»: given, it must own the step; empty, the step must belong to one objective only
            obj_cells = get("objective_code")
            one_owner = {c: o[0] for c, o in step_objs.items() if len(o) == 1}
            objs = list(map(one_owner.get, codes))
            if not C.NONE.issuperset(map(type, obj_cells)):
                pairs = set(zip(_values(steps["objective_code"]), _values(steps["code"])))
                given_objs = C.by_value(obj_cells, squash)
                dirty += C.where([v is not None and (v.__class__ is not str or (g, c) not in pairs)
                                  for v, g, c in zip(obj_cells, given_objs, codes)])
                objs = [g if v is not None else o for v, g, o in zip(obj_cells, given_objs, objs)]
            dirty += C.where([o is None for o in objs])   # neither given nor one owner (or an unclean code)
            parsed = {}
            for key, fn in (("verified_on", date), ("completed_on", date), ("new_deadline", date),
                            ("achievement", percent), ("not_attributable", P.parse_bool)):
                parsed[key], bad = C.parse_column(get(key), fn)
                dirty += bad
            status_raw, note = get("status_raw"), get("note")
            dirty += C.not_of_types(status_raw, C.STR_OR_NONE) + C.not_of_types(note, C.STR_OR_NONE)
            ach, na = parsed["achievement"], parsed["not_attributable"]
            # = _verification_status(sr, na, ach): a «Stato» text alone decides, unless «Causa non imputabile»
            # (neutralizzato) or no text (the «Raggiungimento» decides): those rows one by one
            statuses = C.by_value(status_raw, lambda sr: P.normalize_status(sr, False) if sr.__class__ is str else None)
            for i in C.where([sr is None or a for sr, a in zip(status_raw, na)]):
                statuses[i] = _verification_status(status_raw[i], na[i], ach[i])
            for i in C.where(list(map(_STATUS_TO_REPORT.__contains__, statuses))):
                if statuses[i] == S.STATUS_UNKNOWN or ach[i] is None:   # unknown, or partial without a value
                    dirty.append(i)
        except TypeError:   # an unhashable value: the row-by-row path
            return None
        columns = [objs, codes, parsed["verified_on"], statuses, list(status_raw), ach,
                   parsed["completed_on"], parsed["new_deadline"], list(note), na, list(row_nos)]
        for i in sorted(set(dirty)):   # the rows with something to report, in order
            row = row_nos[i]
            item = self._verification(sh, row, sh.record(row)[0], step_objs, has_obj_col)
            for col, v in zip(columns, item):
                col[i] = v
        return pd.DataFrame(dict(zip(TABLE_COLUMNS["verifications"], columns)),
                            columns=TABLE_COLUMNS["verifications"])

    def _verification(self, sh: _Sheet, row: int, rec: dict, step_objs: dict[str, list[str]],
                      has_obj_col: bool) -> tuple:
        """One row of «Verifiche», with every problem it has (the reference path)."""
        code = self.code(sh, rec, "step_code", row)
        obj = self.code(sh, rec, "objective_code", row, required=False) if has_obj_col else None
        if code:
            owners = step_objs.get(code, [])
            if obj:
                if obj not in owners:
                    self.problems.error(f"step «{code}» dell'obiettivo «{obj}» non trovato nel foglio «Step»",
                                        sh.name, row, sh.col("step_code"), code)
            elif len(owners) == 1:
                obj = owners[0]
            elif not owners:
                self.problems.error(f"step «{code}» non trovato nel foglio «Step»", sh.name, row, sh.col("step_code"), code)
            else:
                self.problems.error(f"step «{code}» ambiguo (presente negli obiettivi {', '.join(map(str, owners))}): "
                                    f"indicare la colonna «Obiettivo»", sh.name, row, sh.col("step_code"), code)
        verified_on = self.date(sh, rec, "verified_on", row)
        completed = self.date(sh, rec, "completed_on", row)
        new_deadline = self.date(sh, rec, "new_deadline", row)
        ach = self.percent(sh, rec, "achievement", row)
        na, err = P.parse_bool(rec.get("not_attributable"))
        if err:
            self.problems.error(err, sh.name, row, sh.col("not_attributable"), rec.get("not_attributable"))
        status_raw = self.text(sh, rec, "status_raw", row)
        status = _verification_status(status_raw, na, ach)
        if status == S.STATUS_UNKNOWN and status_raw is None:
            self.problems.warning("«Stato» e «Raggiungimento» vuoti: la verifica conta 0% finché non vengono indicati",
                                  sh.name, row, sh.col("status_raw"))
        elif status == S.STATUS_UNKNOWN:
            self.problems.warning("stato non riconosciuto: conta il «Raggiungimento» indicato (o 0%)",
                                  sh.name, row, sh.col("status_raw"), status_raw)
        if status == S.STATUS_PARTIAL and ach is None:
            self.problems.warning("stato parziale senza «Raggiungimento»: conta 0% finché non viene indicato",
                                  sh.name, row, sh.col("achievement"))
        return (obj, code, verified_on, status, status_raw, ach, completed, new_deadline,
                self.text(sh, rec, "note", row), na, row)

    def indicators(self, sh: _Sheet | None, objective_codes: set[str]) -> pd.DataFrame:
        out = []
        if sh:
            for row, rec, _ in sh.records():
                obj = self.objective_ref(sh, rec, row, objective_codes)
                out.append((obj, self.code(sh, rec, "code", row, False), self.text(sh, rec, "name", row, True),
                            self.text(sh, rec, "algorithm", row), self.text(sh, rec, "unit", row),
                            self.text(sh, rec, "baseline_raw", row), self.text(sh, rec, "target_raw", row),
                            self.text(sh, rec, "direction", row), self.text(sh, rec, "value_raw", row),
                            self.date(sh, rec, "measured_on", row), self.text(sh, rec, "org_area", row), row))
        return pd.DataFrame(out, columns=TABLE_COLUMNS["indicators"])

    def staff(self, sh: _Sheet | None, objective_codes: set[str]) -> pd.DataFrame:
        out = []
        if sh:
            for row, rec, _ in sh.records():
                obj = self.objective_ref(sh, rec, row, objective_codes)
                grade = None
                g = rec.get("grade")
                if g is not None:
                    num, _, err = P._as_number(g)
                    if err or num is None or not 0 <= num <= 10:
                        self.problems.error("valutazione non valida: deve essere un numero da 0 a 10",
                                            sh.name, row, sh.col("grade"), g)
                    else:
                        grade = num
                months = None
                if rec.get("service_months") is not None:   # revision 3: Mesi di servizio, 0–12
                    num, _, err = P._as_number(rec.get("service_months"))
                    if err or num is None or not 0 <= num <= 12:
                        self.problems.error("mesi di servizio non validi: un numero da 0 a 12", sh.name, row,
                                            sh.col("service_months"), rec.get("service_months"))
                    else:
                        months = num
                category = self.text(sh, rec, "category", row)
                # «Categoria» was a synonym of Qualifica before revision 3: without a Qualifica it still fills it
                role = self.text(sh, rec, "role", row) or category
                out.append((obj, self.text(sh, rec, "name", row, True), role,
                            self.percent(sh, rec, "participation", row), grade, row,
                            self.text(sh, rec, "matricola", row), self.percent(sh, rec, "part_time", row),
                            self.percent(sh, rec, "presence", row), months, category))
        return pd.DataFrame(out, columns=TABLE_COLUMNS["staff"])


def _values(column: pd.Series) -> list:
    """A column's values as a list, as ``column.tolist()`` gives them (texts, NaN for a missing one),
    through NumPy: 5× faster than iterating an Arrow-backed text column."""
    return column.to_numpy().tolist()


class _AnyCode(set):
    """The codes of a sheet whose «Codice» column is missing (already an error): every reference passes."""

    def __contains__(self, item: object) -> bool:
        return True


def validate_rows(raw: Mapping[str, list[list]]) -> ParsedPlan:
    """Validate a workbook read as rows (sheet name → rows): a dict, or a :class:`SheetReader` still
    reading (then the first sheets are validated while the next ones are read; same result)."""
    v = _Validator()
    sheets = v.locate_sheets(raw, lazy=isinstance(raw, SheetReader))
    result = ParsedPlan(problems=v.problems)
    if "plan" in sheets:
        v.plan(sheets["plan"])
    result.meta = v.meta
    result.profile = profile_sheet.parse(raw, v.problems)
    if "objectives" not in sheets or "steps" not in sheets:
        v.finish_locate()
        return result
    areas = v.areas(sheets.get("areas"))
    strategic = v.strategic(sheets.get("strategic"), set(_values(areas["code"].dropna())), "areas" in sheets)
    objectives, links = v.objectives(sheets["objectives"], set(_values(strategic["code"].dropna())), "strategic" in sheets)
    obj_codes = set(_values(objectives["code"].dropna()))
    if "code" in sheets["objectives"].missing:     # no codes to check references against: not one error a row
        obj_codes = _AnyCode()
    steps = v.steps(sheets["steps"], obj_codes)
    # what needs only the tables so far is done now, while the later sheets may still be being read
    # (SheetReader): the limits of these tables (their problems put in their place at the end) and the
    # owners of each step code
    early = {"areas": areas, "strategic_objectives": strategic, "objectives": objectives,
             "objective_links": links, "steps": steps}
    early_limits = ProblemList()
    _check_table_limits(sheets, early, early_limits)
    step_pairs = list(zip(_values(steps["objective_code"]), _values(steps["code"])))
    step_objs: dict[str, list[str]] = defaultdict(list)
    for o, c in step_pairs:
        step_objs[c].append(o)
    v.finish_locate(until="verifications")    # the sheets after it are located (and read) meanwhile
    verifications = v.verifications(sheets.get("verifications"), steps, step_objs)
    v.finish_locate()
    result.tables = early | {
        "verifications": verifications,
        "indicators": v.indicators(sheets.get("indicators"), obj_codes),
        "staff": v.staff(sheets.get("staff"), obj_codes),
    }
    result.variances = variance_sheet.parse(raw, v.problems, obj_codes, set(step_pairs))
    if objectives.empty:
        v.problems.error("nessun obiettivo nel foglio", sheets["objectives"].name)
    _check_limits(v, sheets, result, early_limits)
    return result


# ---------------------------------------------------------------- issue 12: limits, isolation (loaders.guard/.isolate)
def _check_limits(v: _Validator, sheets: dict[str, _Sheet], result: ParsedPlan,
                  early: ProblemList | None = None) -> None:
    """Every stored value within its limits (text lengths, finite numbers, years), located. ``early``:
    the problems of the first tables, already checked (:func:`validate_rows`): they come, in table
    order, before those of the other tables, as if all were checked here."""
    from loaders import guard

    def locate_field(key: str) -> tuple[str | None, int | None, str | None]:
        sh = sheets.get("plan")
        return (sh.name if sh else "Piano"), getattr(v, "plan_rows", {}).get(key), (sh.col("value") if sh else None)

    guard.check_meta(result.meta, locate_field, v.problems)
    if early is None:
        _check_table_limits(sheets, result.tables, v.problems)
        return
    v.problems.extend(early)
    _check_table_limits(sheets, {k: t for k, t in result.tables.items() if k not in _EARLY_TABLES}, v.problems)


_EARLY_TABLES = frozenset({"areas", "strategic_objectives", "objectives", "objective_links", "steps"})


def _check_table_limits(sheets: dict[str, _Sheet], tables: dict[str, pd.DataFrame], problems: ProblemList) -> None:
    from loaders import guard

    def locate(table: str, col: str) -> tuple[str | None, str | None]:
        key, src = guard.source_column(table, col)
        sh = sheets.get(key)
        if sh is None:
            return None, col
        known = any(c.key == src for c in sh.spec.columns)
        return sh.name, sh.col(src) if known else col

    guard.check_tables(tables, locate, problems)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Reading and validating a big sheet allocate about a million small objects and free no
    cycles: the cyclic garbage collector would rescan them all, again and again, for a third of
    the time. Reference counting still frees memory meanwhile; the collector resumes afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def validate_workbook(data: bytes, file_name: str = "") -> ParsedPlan:
    """:func:`validate_workbook_here` in a child process with a memory ceiling and a time limit
    (:mod:`loaders.isolate`, issue 12): whatever the file contains, this process survives."""
    from loaders.isolate import run_isolated

    return run_isolated(validate_workbook_here, data, file_name)


def validate_workbook_here(data: bytes, file_name: str = "") -> ParsedPlan:
    """Check the archive, read it, validate every sheet in this process; never raises on user input."""
    problem = check_archive(data, file_name)
    if problem is not None:
        return ParsedPlan(problems=ProblemList([problem]))

    def damaged(exc: SheetReadError) -> ParsedPlan:   # issue 12: damaged cells inside a readable archive name the sheet
        if exc.problem is not None:                      # an absurd real extent
            return ParsedPlan(problems=ProblemList([exc.problem]))
        return ParsedPlan(problems=ProblemList([Problem(
            "errore", f"il foglio «{exc.sheet}» non si legge: celle danneggiate o formato non valido "
                      f"({exc.detail}). Aprire il file in Excel, correggere o ricopiare il foglio e salvarlo "
                      "di nuovo.", exc.sheet)]))

    with _gc_paused():
        try:
            raw = SheetReader(data)   # sheets read in the background while the first ones are validated
        except SheetReadError as exc:
            return damaged(exc)
        except MemoryError:
            raise
        except Exception as exc:  # calamine: corrupted XML, password, …
            return ParsedPlan(problems=ProblemList([Problem.file(
                f"Il file «{file_name or 'file'}» non si legge come cartella di lavoro Excel ({type(exc).__name__}): "
                "è protetto da password o danneggiato?")]))
        reader = raw if isinstance(raw, SheetReader) else None
        try:
            parsed = validate_rows(raw)
        except SheetReadError as exc:
            if reader is not None:
                reader.wait()
                exc = reader.first_error() or exc     # the first unreadable sheet, as a plain read says
            return damaged(exc)
        if reader is not None:
            reader.wait()
            unreadable = reader.first_error()         # a sheet the validation did not ask for
            if unreadable is not None:
                return damaged(unreadable)
        del raw, reader  # free the cells before the collector resumes: it would scan them all once more
    return parsed


__all__ = ["ParsedPlan", "TABLE_COLUMNS", "validate_rows", "validate_workbook", "validate_workbook_here", "SHEET_BY_KEY"]
