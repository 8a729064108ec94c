"""The login form of local accounts as plain HTML (issue 19), posted to the server's route ``POST /accesso``.

One renderer for two places: the page ``GET /accesso`` of ``ui/server.py`` and the gate of ``app.py``
(``st.html``: a reload, a new tab, an expired or revoked session show the same form in place of the page).
The form carries the value of the anti-forgery cookie (:data:`CSRF_COOKIE`, double submit); the route also refuses
a post whose ``Origin`` is another site. No Streamlit here.
"""
from __future__ import annotations

import hmac
import html
import secrets
from urllib.parse import urlencode, urlsplit

LOGIN_PATH, LOGOUT_PATH = "/accesso", "/uscita"
#: The anti-forgery cookie (double submit): random, HttpOnly, SameSite=Strict, set by the server's middleware on
#: every HTML page that arrives without it; the forms carry its value, and a post is accepted only when the two
#: agree. Another site can neither read it nor make the browser send it with a cross-site post.
CSRF_COOKIE = "cruscotto_csrf"


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def csrf_matches(form_value: str | None, cookie_value: str | None) -> bool:
    return bool(form_value) and bool(cookie_value) and hmac.compare_digest(str(form_value), str(cookie_value))


def safe_next(target: str | None) -> str:
    """A same-origin path to go to after the login (``/obiettivo?piano=1&obiettivo=2``), else ``/``. Refused:
    absolute URLs, scheme-relative ``//host``, back-slashes, control characters."""
    t = (target or "").strip()
    if not t.startswith("/") or t.startswith("//") or "\\" in t or any(ord(c) < 32 for c in t):
        return "/"
    parts = urlsplit(t)
    if parts.scheme or parts.netloc:
        return "/"
    return t


def login_url(next_path: str | None = None) -> str:
    return LOGIN_PATH + ("?" + urlencode({"next": safe_next(next_path)}) if next_path else "")


STYLE = """
.crp-login{max-width:420px;font-family:inherit;color:#10131a}
.crp-login h2{font-size:1.5rem;margin:0 0 .75rem 0}
.crp-login label{display:block;font-size:.95rem;margin:.75rem 0 .25rem 0}
.crp-login input[type=text],.crp-login input[type=password]{width:100%;box-sizing:border-box;padding:.5rem .6rem;
 font-size:1rem;border:1px solid #5f6368;border-radius:.5rem;background:#f0f2f6;color:#10131a}
.crp-login input:focus{outline:2px solid #1f4e79;outline-offset:1px}
.crp-login button{margin-top:1rem;padding:.5rem 1.1rem;font-size:1rem;border:0;border-radius:.5rem;background:#1f4e79;
 color:#fff;cursor:pointer}
.crp-login button:focus{outline:2px solid #10131a;outline-offset:2px}
.crp-msg{padding:.6rem .8rem;border-radius:.5rem;margin:.5rem 0;max-width:420px}
.crp-err{background:#fde8e8;color:#7a1010}.crp-note{background:#fff4d6;color:#4d3800}
.crp-out button{padding:.3rem .8rem;font-size:.9rem;border:1px solid #5f6368;border-radius:.5rem;background:#fff;
 color:#10131a;cursor:pointer}
"""


def form_html(next_path: str = "/", csrf: str = "", error: str | None = None, notice: str | None = None,
              username: str = "") -> str:
    """The form (with its style): Nome utente, Password, «Accedi»; an error or a notice above it."""
    e = html.escape
    msgs = "".join(f'<p class="crp-msg {cls}" role="{role}">{e(text)}</p>'
                   for text, cls, role in ((notice, "crp-note", "status"), (error, "crp-err", "alert")) if text)
    return (f"<style>{STYLE}</style>{msgs}"
            f'<form class="crp-login" method="post" action="{LOGIN_PATH}">'
            "<h2>Accesso</h2>"
            f'<input type="hidden" name="csrf" value="{e(csrf)}">'
            f'<input type="hidden" name="next" value="{e(safe_next(next_path))}">'
            '<label for="crp-user">Nome utente</label>'
            f'<input id="crp-user" type="text" name="username" autocomplete="username" required value="{e(username)}">'
            '<label for="crp-pass">Password</label>'
            '<input id="crp-pass" type="password" name="password" autocomplete="current-password" required>'
            '<button type="submit">Accedi</button></form>')


def logout_html(csrf: str = "") -> str:
    """«Esci»: a POST to ``/uscita`` with its token (a link from another site cannot log anyone out)."""
    return (f"<style>{STYLE}</style>"
            f'<form class="crp-out" method="post" action="{LOGOUT_PATH}">'
            f'<input type="hidden" name="csrf" value="{html.escape(csrf)}">'
            '<button type="submit">Esci</button></form>')


def page_html(body: str, title: str = "Accesso — Cruscotto Performance") -> str:
    """A whole page (``GET /accesso``): the app's name, the form, nothing of the plans."""
    return ("<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>"
            "body{font-family:'Source Sans Pro','Source Sans 3',system-ui,sans-serif;margin:0;background:#fff}"
            "main{max-width:720px;margin:4rem auto;padding:0 1.5rem}h1{font-size:2.4rem;color:#10131a;margin:0 0 1.5rem}"
            f"</style></head><body><main><h1>Cruscotto Performance</h1>{body}</main></body></html>")
