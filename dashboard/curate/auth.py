"""Signing in: the plain ``/login`` form, ``/logout``, sessions, roles, and what guards the
curation routes.

- ``/login`` is a plain HTML form (``username``, ``password``): it works without JavaScript and
  with password managers. Repeated failures are throttled: after :data:`MAX_FAILURES` in a
  minute for one account or one address, HTTP 429 until the minute has passed. A wrong name
  and a wrong password get the same answer, in the same time.
- A session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure when the page came over
  HTTPS), signed with the workspace's key, so every server of a deployment accepts it.
- Every request under ``/curate`` needs a curator (an admin is one too): a page request
  without a session is sent to sign in, anything else gets 401 (403 for a signed-in viewer)
  and never the data. The check runs on the server before Dash sees the request.
- A state-changing request (any POST to the curation routes, ``/login``, ``/logout``) must
  come from this site: its ``Origin`` (or, lacking one, its ``Referer``) must be this host;
  the forms carry a token of the session as well.
- ``METRICS_REQUIRE_SIGN_IN=1`` makes viewing need an account too.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable
from html import escape
from urllib.parse import urlsplit

from flask import Flask, Response, redirect, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard.curate.texts import page_text
from dashboard.serving import answer
from metrics.curate.accounts import Account, password_matches
from metrics.curate.workspace import Workspace

REQUIRE_SIGN_IN_VARIABLE = "METRICS_REQUIRE_SIGN_IN"
PROXY_VARIABLE = "METRICS_BEHIND_PROXY"
MAX_FAILURES = 10  # failed sign-ins a minute, for one account or one address
CURATE_PREFIX = "/curate"
OPEN_PATHS = ("/login", "/logout", "/assets/", "/_favicon.ico", "/favicon.ico")


class User(UserMixin):
    """The signed-in account, as Flask-Login carries it."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def get_id(self) -> str:
        return self.account.name


class _Cookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure whenever the request came over HTTPS
    (behind nginx with the office's certificate: X-Forwarded-Proto), and only then, so that
    an intranet served over plain HTTP can still sign in."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


def current_account() -> Account | None:
    user = current_user
    return user.account if getattr(user, "is_authenticated", False) else None


def csrf_token() -> str:
    """The session's token, put in every form this site makes."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def same_site() -> bool:
    """Whether a request comes from a page of this site (its Origin, or its Referer)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer") or ""
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc == request.host and parts.scheme in ("http", "https")


def token_matches() -> bool:
    given = request.form.get("csrf", "")
    return bool(given) and hmac.compare_digest(given, str(session.get("csrf", "")))


def install(server: Flask, workspace: Callable[[], Workspace]) -> None:
    """Sessions, ``/login``, ``/logout`` and the guard of every route, on ``server``."""
    if os.environ.get(PROXY_VARIABLE) == "1":  # behind our nginx: trust its one hop
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    server.secret_key = workspace().secret_key()
    server.session_interface = _Cookies()
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    manager = LoginManager()
    manager.init_app(server)

    @manager.user_loader
    def load(name: str) -> User | None:
        account = workspace().account(name)
        return User(account) if account is not None and not account.disabled else None

    @server.before_request
    def guard() -> Response | None:
        path = request.path
        if any(path.startswith(p) for p in OPEN_PATHS):
            return None
        needed = "curator" if path.startswith(CURATE_PREFIX) else None
        if needed is None and os.environ.get(REQUIRE_SIGN_IN_VARIABLE) == "1":
            needed = "viewer"
        if needed is None:
            return None
        account = current_account()
        if account is None or not account.can(needed):
            return _refuse(account, needed)
        if request.method == "POST" and not same_site():
            return answer(403, "a request from another site is refused")
        return None

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Response:
        lang = "en" if request.args.get("lang") == "en" else "zh"
        if request.method == "GET":
            return _page(lang, "")
        if not same_site() or not token_matches():
            return _page(lang, page_text("login_stale", lang), status=403)
        name = request.form.get("username", "").strip()[:80]
        password = request.form.get("password", "")[:1000]
        keys = [f"account:{name.casefold()}", f"address:{request.remote_addr or '-'}"]
        store = workspace()
        if any(store.failures(key, 60) >= MAX_FAILURES for key in keys):
            return _page(lang, page_text("login_throttled", lang), status=429)
        account = store.account(name)
        if not password_matches(account, password) or account is None or account.disabled:
            store.note_failure(keys)
            return _page(lang, page_text("login_failed", lang), status=401)
        session.clear()  # a new session for the signed-in user: nothing carried over
        login_user(User(account))
        return redirect(_next_path(), code=303)

    @server.route("/logout", methods=["POST"])
    def logout() -> Response:
        if not same_site() or not token_matches():
            return answer(403, "a request from another site is refused")
        logout_user()
        session.clear()
        return redirect("/", code=303)


def _next_path() -> str:
    """Where to go after signing in: a path of this site only (never another host)."""
    wanted = request.args.get("next", "") or request.form.get("next", "")
    parts = urlsplit(wanted)
    if wanted.startswith("/") and not wanted.startswith("//") and not parts.netloc:
        return wanted
    return "/curate/"


def _refuse(account: Account | None, needed: str) -> Response:
    wants_page = request.method == "GET" and "text/html" in request.headers.get("Accept", "")
    if account is None and wants_page:
        return redirect(f"/login?next={request.full_path.rstrip('?')}", code=303)
    if account is None:
        return answer(401, "sign in first")
    return answer(403, f"this needs a {needed} account")


def _page(lang: str, message: str, status: int = 200) -> Response:
    """The sign-in form: plain HTML, no script, the site's stylesheet."""
    text = lambda key: escape(page_text(key, lang))  # noqa: E731
    notice = f'<p class="login-notice" role="alert">{escape(message)}</p>' if message else ""
    other = "zh" if lang == "en" else "en"
    body = f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{text("login_title")}</title><link rel="stylesheet" href="/assets/style.css"></head>
<body class="login-page"><main class="login-box">
<h1>{text("login_title")}</h1>{notice}
<form method="post" action="/login?lang={lang}">
<input type="hidden" name="csrf" value="{escape(csrf_token())}">
<input type="hidden" name="next" value="{escape(_next_path())}">
<label for="username">{text("login_username")}</label>
<input id="username" name="username" autocomplete="username" required>
<label for="password">{text("login_password")}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{text("login_submit")}</button>
</form>
<p><a href="/login?lang={other}">{text("lang_switch")}</a> ·
<a href="/">{text("login_back")}</a></p>
</main></body></html>"""
    return Response(body, status=status, content_type="text/html; charset=utf-8")
