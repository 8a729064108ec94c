"""The launcher of ``make run``: ``python -m ui.serve [--port 8501] [--address 127.0.0.1] [--db PATH]``.

A laptop stays a laptop: with no accounts in the database and no single sign-on in
``.streamlit/secrets.toml`` it refuses (exit 2, an Italian message saying what to do) to listen on any
address but the loopback. Otherwise it starts ``streamlit run ui/server.py`` (the edge around ``app.py``: cookie
sessions, security headers, the read-only API; issue 19) on that address and port, on the
database given (exported as ``CRUSCOTTO_DB`` to the app). ``app.py`` checks the same rule at every run,
so ``streamlit run app.py --server.address 0.0.0.0`` without accounts serves only the refusal.
"""
from __future__ import annotations

import argparse
import os
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXIT_REFUSED = 2


def oidc_configured(root: Path = ROOT) -> bool:
    """``[auth]`` with a ``redirect_uri`` in the project's or the user's ``.streamlit/secrets.toml``."""
    for path in (root / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"):
        try:
            auth = tomllib.loads(path.read_text(encoding="utf-8")).get("auth") or {}
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if "redirect_uri" in auth:
            return True
    return False


def accounts_defined(db_path: str) -> bool:
    if not Path(db_path).exists():
        return False
    from store import Database
    from store.users import has_accounts

    db = Database(db_path)            # closed before streamlit opens the file (DuckDB locks it per process)
    try:
        return has_accounts(db)
    finally:
        db.close()


def main(argv: list[str] | None = None) -> int:
    from store import default_db_path
    from ui.auth import is_local_address, refuse_message

    ap = argparse.ArgumentParser(prog="python -m ui.serve", description="Avvia il cruscotto")
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8501))
    ap.add_argument("--address", default=os.environ.get("ADDRESS") or "127.0.0.1",
                    help="indirizzo di ascolto (predefinito 127.0.0.1: solo questo computer)")
    ap.add_argument("--db", default=None, help="database DuckDB (predefinito: $CRUSCOTTO_DB o data/cruscotto.duckdb)")
    ap.add_argument("--dry-run", action="store_true", help="controlla e stampa il comando senza avviarlo")
    args, extra = ap.parse_known_args(argv)
    db_path = str(Path(args.db or default_db_path()).resolve())
    if not is_local_address(args.address) and not (accounts_defined(db_path) or oidc_configured()):
        print(refuse_message(args.address), file=sys.stderr)
        return EXIT_REFUSED
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "server.py"), "--server.address", args.address,
           "--server.port", str(args.port), *extra]
    env = {**os.environ, "CRUSCOTTO_DB": db_path}
    where = "solo da questo computer" if is_local_address(args.address) else "dalla rete (accesso con login)"
    print(f"Cruscotto Performance su http://{'localhost' if is_local_address(args.address) else args.address}:"
          f"{args.port} — {where} — database {db_path}", flush=True)
    if args.dry_run:
        print(" ".join(cmd))
        return 0
    os.chdir(ROOT)
    os.execvpe(cmd[0], cmd, env)
    return 0  # pragma: no cover - exec does not return


if __name__ == "__main__":
    sys.exit(main())
