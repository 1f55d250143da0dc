"""Serving the app to many users at once: security headers, request limits, and answers to
malformed or hostile requests that are short, never a traceback.

A bare Dash app answers a malformed ``/_dash-update-component`` request with HTTP 500 (Dash
indexes into the body without checking it) and sends no security headers. :func:`install`
puts a check in front of Dash's callback dispatcher: the body must be a JSON object naming a
registered callback, with exactly the inputs, state and outputs that callback declares, and
every value must pass the page's check for it (see :mod:`dashboard.inputs`). What fails gets a
400 with a one-line reason that repeats nothing of the request. Whatever still fails inside a
callback is a bug of ours: a generic 500, logged with the code location and no user data.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from dash import Dash
from dash._utils import stringify_id
from dash.exceptions import CallbackException, DependencyException, InvalidResourceError
from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException

Check = Callable[[Any], bool]
"""Whether a value sent for one callback input (or state) is one the page can send."""

CALLBACK_PATH = "/_dash-update-component"
# A callback body is a few KiB: the page's filters, the stored view and some ids. An export is
# a callback too, but only its answer is large. 256 KiB leaves room for every dropdown full.
MAX_REQUEST_BYTES = 256 * 1024
MAX_MATCHES = 1000  # components one pattern (ALL) may match in a request
MAX_ID_TEXT = 200  # a string inside a pattern-matching id

# The page and everything it loads come from this server (README: it runs on a closed
# intranet). Scripts: our own files plus Dash's one inline script, allowed by its hash.
# Styles: Plotly and the DataTable add <style> elements at run time (Chromium refuses them
# otherwise), hence 'unsafe-inline' for styles only; styles run no scripts. Images: a chart's
# PNG export draws the chart from a blob: URL the page makes itself.
_CSP = (
    "default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' blob: data:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)


# Dash loads Babel's polyfill (core-js 2) before anything else, for browsers without ES2015
# (Internet Explorer). Every browser this page supports has all of it built in, and core-js 2
# replaces some built-ins it judges non-standard with slower copies of its own (trim, which
# Plotly calls for every label): 220 ms of a first visit at national scale, measured in
# Chromium's profiler (benchmarks/first_load.py).
_POLYFILL = re.compile(r'<script src="[^"]*/deps/polyfill@[^"]*"></script>\s*')


def _without_polyfill(app: Dash) -> None:
    interpolate = app.interpolate_index

    def interpolate_index(**kwargs: Any) -> str:
        kwargs["scripts"] = _POLYFILL.sub("", kwargs["scripts"])
        return interpolate(**kwargs)

    app.interpolate_index = interpolate_index  # type: ignore[method-assign]


class BadCallbackRequest(Exception):
    """A callback request that the page could not have sent; the message names what is wrong
    in terms of the callback's declaration, never by repeating the request."""


ChecksOf = Callable[[], Mapping[str, Check]]
"""The checks of a Dash app's callback inputs, for the dataset version being served."""


def install(app: Dash, checks: ChecksOf, *more: tuple[Dash, ChecksOf]) -> None:
    """Harden the server of ``app`` (and of ``more`` Dash apps on the same server, each with
    its own callback path): call after every callback is registered.

    ``checks()`` maps a callback dependency as Dash writes it (``"f-city.value"``,
    ``'{"key":["ALL"],"type":"text"}.id'``) to the check of its values, for the dataset
    version being served; a dependency without one accepts any value (within the request
    size limit).
    """
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    apps = [(app, checks), *more]
    for each, _ in apps:
        _without_polyfill(each)
    # Each Dash app's one inline script runs by its hash (the same script: one hash).
    hashes = sorted({h for each, _ in apps for h in each.csp_hashes()})
    headers = {
        "Content-Security-Policy": _CSP.format(hashes=" ".join(hashes)),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "SAMEORIGIN",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    by_path = {
        each.config.requests_pathname_prefix + CALLBACK_PATH.lstrip("/"): (each, its_checks)
        for each, its_checks in apps
    }

    @server.before_request
    def check_callback_request() -> Response | None:
        if request.path not in by_path or request.method != "POST":
            return None
        target, target_checks = by_path[request.path]
        try:
            body = json.loads(request.get_data(cache=True))
        except (ValueError, RecursionError):  # not UTF-8, not JSON, nested beyond reason
            return answer(400, "the callback request is not JSON")
        try:
            check_callback_body(target, body, target_checks())
        except BadCallbackRequest as exc:
            return answer(400, str(exc))
        return None

    @server.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    @server.errorhandler(DependencyException)
    @server.errorhandler(InvalidResourceError)
    def no_such_resource(_: Exception) -> Response:
        # A component-suite path that is not a registered file of a registered package:
        # Dash raises, and its message lists the registered paths.
        return answer(404, "not found")

    @server.errorhandler(CallbackException)
    def bad_callback(_: Exception) -> Response:
        # Dash's own checks of a request (outputs not as declared): ours run first, so this
        # is a second line.
        return answer(400, "the callback request does not match the callback")

    @server.errorhandler(Exception)
    def error(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):  # 404, 405, 413 …: their short name, no page
            return answer(exc.code or 500, (exc.name or "error").lower())
        _log_error(exc)
        return answer(500, "internal error; it has been logged")


def check_callback_body(app: Dash, body: object, checks: Mapping[str, Check]) -> None:
    """Raise :class:`BadCallbackRequest` unless ``body`` is a request the page could send."""
    if not isinstance(body, dict):
        raise BadCallbackRequest("the callback request is not a JSON object")
    output = body.get("output")
    callback = app.callback_map.get(output) if isinstance(output, str) else None
    if callback is None or "callback" not in callback:  # none, or one run in the browser
        raise BadCallbackRequest("no such callback")
    matched: dict[str, list] = {}  # pattern -> the ids its ALL entries listed
    triggers: set[str] = set()  # what changedPropIds may name: the inputs given
    for key, declared in (("inputs", callback["inputs"]), ("state", callback.get("state", []))):
        entries = body.get(key, [])
        if not isinstance(entries, list) or len(entries) != len(declared):
            raise BadCallbackRequest(f"{key} do not match the callback's {len(declared)}")
        for spec, entry in zip(declared, entries, strict=True):
            name = f"{spec['id']}.{spec['property']}"
            check = checks.get(name)
            for item in _entries(spec["id"], spec["property"], entry, name, matched):
                if key == "inputs":
                    triggers.add(f"{stringify_id(item['id'])}.{item['property']}")
                value = item.get("value")
                if spec["property"] == "id" and value is not None and value != item["id"]:
                    raise BadCallbackRequest(f"{name}: not the component's id")
                if check is not None and not check(value):
                    raise BadCallbackRequest(f"{name}: not a value the page sends")
    if not callback.get("no_output"):
        declared_outputs = callback["output"]
        multi = isinstance(declared_outputs, list)
        declared_outputs = declared_outputs if multi else [declared_outputs]
        outputs = body.get("outputs")
        listed = outputs if multi else [outputs]
        if not isinstance(listed, list) or len(listed) != len(declared_outputs):
            raise BadCallbackRequest("outputs do not match the callback")
        # The property as the callback's key spells it: an output that two callbacks share
        # (allow_duplicate) is sent as "options@<hash>", and Dash reads it so.
        keys = output[2:-2].split("...") if multi else [output]
        for out, key, entry in zip(declared_outputs, keys, listed, strict=True):
            spec_id, prop = out.component_id_str(), key.rsplit(".", 1)[1]
            list(_entries(spec_id, prop, entry, f"{spec_id}.{prop}", matched))
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(
        isinstance(c, str) and c in triggers for c in changed
    ):
        raise BadCallbackRequest("changedPropIds name something that is not an input")


def _entries(
    spec_id: str, prop: str, entry: object, name: str, matched: dict[str, list]
) -> Iterator[dict]:
    """The entries given for one declared dependency, checked against its id and property."""
    pattern = json.loads(spec_id) if spec_id.startswith("{") else None
    if pattern is not None and any(v in (["ALL"], ["ALLSMALLER"]) for v in pattern.values()):
        if not isinstance(entry, list) or len(entry) > MAX_MATCHES:
            raise BadCallbackRequest(f"{name}: not a list of matching components")
        ids = []
        for item in entry:
            _check_entry(pattern, spec_id, prop, item, name)
            ids.append(item["id"])
        # Outputs, inputs and state with the same pattern list the same components, in order.
        if matched.setdefault(spec_id, ids) != ids:
            raise BadCallbackRequest(f"{name}: lists other components than its pattern does")
        yield from entry
    else:
        _check_entry(pattern, spec_id, prop, entry, name)
        yield entry


def _check_entry(pattern: dict | None, spec_id: str, prop: str, item: object, name: str) -> None:
    if not isinstance(item, dict) or item.get("property") != prop:
        raise BadCallbackRequest(f"{name}: not given as declared")
    given = item.get("id")
    if pattern is None:
        ok = given == spec_id
    else:
        ok = isinstance(given, dict) and set(given) == set(pattern)
        ok = ok and all(
            _id_value(given[k]) if isinstance(v, list) else given[k] == v
            for k, v in pattern.items()
        )
    if not ok:
        raise BadCallbackRequest(f"{name}: unknown component id")


def _id_value(value: object) -> bool:
    """A wildcard's concrete value: what Dash allows in ids (text, number, bool), bounded."""
    if isinstance(value, str):
        return len(value) <= MAX_ID_TEXT
    return isinstance(value, int | float | bool)


def answer(status: int, message: str) -> Response:
    """A short JSON answer: the renderer and curl users alike read one line."""
    return Response(json.dumps({"error": message}), status=status, content_type="application/json")


def _log_error(exc: BaseException) -> None:
    """Log a server error by its type and where it happened, not by its message or the request:
    either may carry what a user typed or chose."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(
        f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} {frame.name}"
        for frame in reversed(frames[-6:])
    )
    current_app.logger.error(
        "%s %s failed: %s at %s", request.method, request.path, type(exc).__name__, where
    )
