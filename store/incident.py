"""Unexpected exceptions as incidents (issue 12): an Italian message with a code for the user, the
traceback in the server's log file only (never on a page or a terminal).

Every incident is a bug to fix: the fuzz suite (``tests/fuzz``) asserts it produces none.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import threading
import traceback
from pathlib import Path

_lock = threading.Lock()
_logger: logging.Logger | None = None


def log_path() -> Path:
    """``$CRUSCOTTO_INCIDENT_LOG``, else ``incidenti.log`` next to the default database."""
    from store.db import default_db_path  # noqa: PLC0415

    return Path(os.environ.get("CRUSCOTTO_INCIDENT_LOG") or Path(default_db_path()).parent / "incidenti.log")


def _get_logger() -> logging.Logger:
    global _logger
    with _lock:
        if _logger is None:
            lg = logging.getLogger("cruscotto.incidenti")
            lg.propagate = False          # not on the console: a CLI user never sees a traceback
            lg.setLevel(logging.ERROR)
            path = log_path()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
            except OSError:
                handler = logging.NullHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
            lg.addHandler(handler)
            _logger = lg
        return _logger


def new_code() -> str:
    return f"INC-{dt.date.today():%Y%m%d}-{secrets.token_hex(3).upper()}"


def record(where: str, exc: BaseException | None = None, tb: str | None = None) -> str:
    """Log an incident (traceback to the log file) and return its code."""
    code = new_code()
    text = tb if tb is not None else "".join(traceback.format_exception(exc)) if exc is not None else ""
    _get_logger().error("%s in %s (pid %d)\n%s", code, where, os.getpid(), text)
    return code


def message(code: str, what: str = "l'operazione") -> str:
    return (f"Errore imprevisto durante {what} (codice incidente {code}): il database non è stato modificato. "
            "Comunicare il codice all'assistenza: i dettagli tecnici sono nel registro del server.")


def run_cli(main, argv=None) -> int:
    """A CLI entry point that never shows a traceback: an Italian message and exit 1 instead
    (:class:`store.db.DatabaseBusy` as is, anything unexpected as an incident)."""
    import sys

    from store.db import DatabaseBusy

    try:
        return main(argv)
    except DatabaseBusy as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrotto.", file=sys.stderr)
        return 1
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last resort of issue 12
        print(message(record("riga di comando " + " ".join(map(str, argv or sys.argv[1:])), exc),
                      "il comando"), file=sys.stderr)
        return 1
