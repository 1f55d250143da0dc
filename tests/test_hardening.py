"""Hostile and malformed input (issue #7): every one gets a 4xx or a handled message, never a
traceback, and the server keeps serving; the production server sends its security headers.

The HTTP cases run against gunicorn as production runs it (gunicorn.conf.py, which gunicorn
reads from the repository's root); the fuzz tests post to the same app in-process, which is
faster and sees the same handlers.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from dash import Dash, Input, Output, dcc, html
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app import create_app
from dashboard import serving
from dashboard.charts import CHARTS
from dashboard.inputs import input_checks
from dashboard.layout import FIRST_DRAWN
from dashboard.urlstate import (
    MAX_QUERY_LENGTH,
    MAX_VALUES,
    ViewState,
    is_state_data,
    parse_query,
    to_query,
)
from metrics.cli import EXIT_INVALID_DATA, EXIT_USAGE, main
from metrics.merge import MAX_REPORT_BYTES

from .conftest import DATA, start_gunicorn
from .test_add import REPORT, ROWS, write_review

TRACEBACK = re.compile(r"Traceback|File \"|\.py\", line")


@pytest.fixture(scope="module")
def app() -> Dash:
    return create_app(str(DATA))


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    with start_gunicorn() as url:
        host, port = urlsplit(url).netloc.split(":")
        yield host, int(port)


def fetch(
    server: tuple[str, int], method: str, path: str, body: bytes | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request with the path sent exactly as given (urllib would normalise it)."""
    connection = http.client.HTTPConnection(*server, timeout=60)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        if body is not None:
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def callback_body(
    app: Dash, output_part: str, values: dict[str, Any] | None = None, changed: str = ""
) -> dict:
    """A request for the callback whose output names ``output_part``, as the page sends it.

    ``values`` maps a dependency (``"state.data"``) to the value sent; the others are empty
    (None, or an empty list of matches for a pattern), except the grid's request for rows and
    the page's word that its first chart has drawn (the charts after it wait for it).
    """
    values = {
        "table.getRowsRequest": {"startRow": 0, "endRow": 10},
        f"{FIRST_DRAWN}.data": True,
        **(values or {}),
    }
    output = next(key for key in app.callback_map if output_part in key)
    callback = app.callback_map[output]

    def entries(spec_id: str, prop: str, with_value: bool) -> Any:
        component = json.loads(spec_id) if spec_id.startswith("{") else spec_id
        if isinstance(component, dict) and ["ALL"] in component.values():
            return []
        entry = {"id": component, "property": prop}
        if with_value and f"{spec_id}.{prop}" in values:
            entry["value"] = values[f"{spec_id}.{prop}"]
        return entry

    declared = callback["output"] if isinstance(callback["output"], list) else None
    outputs = [
        entries(o.component_id_str(), o.component_property, False)
        for o in (declared or [callback["output"]])
    ]
    return {
        "output": output,
        "outputs": outputs if declared else outputs[0],
        "inputs": [entries(s["id"], s["property"], True) for s in callback["inputs"]],
        "state": [entries(s["id"], s["property"], True) for s in callback["state"]],
        "changedPropIds": [changed] if changed else [],
    }


def post(target: Dash | tuple[str, int], body: Any) -> tuple[int, bytes]:
    """POST ``body`` (bytes as they are, anything else as JSON) to the callback endpoint."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    if isinstance(target, Dash):
        answer = target.server.test_client().post(
            serving.CALLBACK_PATH, data=data, content_type="application/json"
        )
        return answer.status_code, answer.get_data()
    status, _, content = fetch(target, "POST", serving.CALLBACK_PATH, data)
    return status, content


def _with(body: dict, **changes: Any) -> dict:
    return {**json.loads(json.dumps(body)), **changes}


def _table(app: Dash, state: Any) -> dict:
    return callback_body(
        app, "table.getRowsResponse", {"state.data": state}, "table.getRowsRequest"
    )


def _rows(app: Dash, request: Any) -> dict:
    """The grid's request for rows, with ``request`` as what it asks for."""
    values = {"state.data": {"lang": "zh"}, "table.getRowsRequest": request}
    return callback_body(app, "table.getRowsResponse", values, "table.getRowsRequest")


def _sync(app: Dash, **values: Any) -> dict:
    """A request to the callback that reads the URL and the filters."""
    return callback_body(app, "url.search", values, "url.search")


# ---- the callback endpoint ----------------------------------------------------------------

MARKER = "<script>alert(1)</script>"  # must never come back in an answer

MALFORMED: dict[str, Any] = {
    "not JSON": b"{output: nope",
    "not UTF-8": b'{"output": "\xff\xfe"}',
    "nested beyond reason": b"[" * 100_000,
    "a JSON array": [1, 2, 3],
    "an empty object": {},
    "no such callback": {"output": MARKER, "inputs": [], "state": []},
}


def _hostile(app: Dash) -> dict[str, dict]:
    table = _table(app, {"lang": "zh"})
    sync = _sync(app, **{"url.search": ""})
    many = [f"城{i}" for i in range(10_000)]
    return {
        "inputs missing": _with(table, inputs=[]),
        "state missing": _with(table, state=[]),
        "inputs not a list": _with(table, inputs={"id": "state"}),
        "unknown input id": _with(
            table, inputs=[{**table["inputs"][0], "id": MARKER}, *table["inputs"][1:]]
        ),
        "wrong property": _with(
            table, inputs=[{**table["inputs"][0], "property": "children"}, *table["inputs"][1:]]
        ),
        "unknown output id": _with(table, outputs=[{"id": MARKER, "property": "data"}]),
        "outputs missing": _with(table, outputs=None),
        "trigger that is no input": _with(table, changedPropIds=["{" + MARKER + ".x"]),
        "trigger not text": _with(table, changedPropIds=[["state.data"]]),
        "stored view a list": _table(app, ["滁州"]),
        "stored view with a wrong type": _table(app, {"city": "滁州"}),
        "stored view naming an unknown city": _table(app, {"city": ["合肥", MARKER]}),
        "stored view with 10,000 cities": _table(app, {"city": many}),
        "stored view with a bad date": _table(app, {"start": "2018-02-30"}),
        "filter value a dict": _sync(app, **{"f-city.value": {"滁州": 1}}),
        "filter value of 10,000 items": _sync(app, **{"f-city.value": many}),
        "filter value a number": _sync(app, **{"f-city.value": [1]}),
        "period outside the slider": _sync(app, **{"f-period.value": [1900, 9999]}),
        "period not numbers": _sync(app, **{"f-period.value": ["2018", None]}),
        "search a list": _sync(app, **{"search.value": [MARKER]}),
        "click without points": _sync(app, **{"chart-sales.clickData": {"points": "x"}}),
        "click on an unknown city": _sync(
            app, **{"chart-map.clickData": {"points": [{"customdata": [MARKER]}]}}
        ),
        "rows asked for as text": _rows(app, "0-10"),
        "rows backwards": _rows(app, {"startRow": 10, "endRow": 0}),
        "sort by a string": _rows(app, {"startRow": 0, "endRow": 10, "sortModel": "value"}),
        "sort by an unknown column": _rows(
            app, {"startRow": 0, "endRow": 10, "sortModel": [{"colId": MARKER, "sort": "asc"}]}
        ),
        "column filter on a number with text": _rows(
            app,
            {
                "startRow": 0,
                "endRow": 10,
                "filterModel": {"value": {"type": "greaterThanOrEqual", "filter": "1e9"}},
            },
        ),
        "clicks negative": _sync(app, **{"lang-toggle.n_clicks": -1}),
        "first chart drawn as text": callback_body(
            app,
            f"{CHARTS[1].id}.figure",
            {"state.data": {"lang": "zh"}, f"{FIRST_DRAWN}.data": "yes"},
            f"{FIRST_DRAWN}.data",
        ),
        "url not text": _with(
            sync, inputs=[{**sync["inputs"][0], "value": 42}, *sync["inputs"][1:]]
        ),
        "pattern id with an unknown key": _pattern_body(app, {"type": "text", "key": MARKER}),
        "pattern id with other fields": _pattern_body(app, {"type": "text", "nope": "title"}),
    }


def _pattern_body(app: Dash, text_id: dict) -> dict:
    """The language callback, told about one page text with the id ``text_id``."""
    body = callback_body(app, "root.lang", {"state.data": None}, "state.data")
    body["outputs"][0] = [{"id": text_id, "property": "children"}]
    body["state"][0] = [{"id": text_id, "property": "id", "value": text_id}]
    return body


def _assert_refused(status: int, content: bytes, *, codes: tuple[int, ...] = (400,)) -> None:
    assert status in codes, content[:300]
    assert not TRACEBACK.search(content.decode(errors="replace"))
    assert MARKER.encode() not in content
    assert len(content) < 300  # one line, not a page


def test_a_good_callback_request_still_works(app):
    status, content = post(app, _table(app, {"lang": "zh", "city": ["滁州"]}))
    assert status == 200
    rows = json.loads(content)["response"]["table"]["getRowsResponse"]["rowData"]
    assert len(rows) == 4 and {row["city"] for row in rows} == {"滁州"}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_callback_requests_get_400_from_gunicorn(server, case):
    status, content = post(server, MALFORMED[case])
    _assert_refused(status, content)
    assert "error" in json.loads(content)


def test_hostile_callback_requests_get_400_and_the_server_keeps_serving(app, server):
    for case, body in _hostile(app).items():
        status, content = post(server, body)
        assert status == 400, (case, content[:300])
        _assert_refused(status, content)
    status, content = post(server, _table(app, {"lang": "en", "city": ["滨州"]}))
    assert status == 200 and "Binzhou" in content.decode()
    assert fetch(server, "GET", "/")[0] == 200


def test_an_oversize_callback_body_gets_413(server):
    body = json.dumps({"output": "x", "padding": "x" * serving.MAX_REQUEST_BYTES}).encode()
    status, content = post(server, body)
    _assert_refused(status, content, codes=(413,))


def test_a_bug_in_a_callback_is_a_logged_500_without_details(caplog):
    """What still fails inside a callback is ours: a short 500, and a log line that says where
    without repeating what the user sent."""
    tiny = Dash(__name__)
    tiny.layout = html.Div([dcc.Input(id="in"), html.Div(id="out")])

    @tiny.callback(Output("out", "children"), Input("in", "value"))
    def broken(value):
        raise RuntimeError(f"cannot handle {value}")

    serving.install(tiny, dict)
    body = {
        "output": "out.children",
        "outputs": {"id": "out", "property": "children"},
        "inputs": [{"id": "in", "property": "value", "value": "hunter2"}],
        "changedPropIds": ["in.value"],
    }
    with caplog.at_level(logging.ERROR):
        status, content = post(tiny, body)
    assert status == 500
    assert b"hunter2" not in content and not TRACEBACK.search(content.decode())
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged and "broken" in logged and "test_hardening.py" in logged
    assert "hunter2" not in logged


def test_every_input_of_every_callback_has_a_check(app, dataset):
    """A new input without a check would accept anything a forged request sends."""
    checks = input_checks(dataset)
    declared = {
        f"{spec['id']}.{spec['property']}"
        for callback in app.callback_map.values()
        if "callback" in callback  # one the server runs; the page runs the others itself
        for spec in (*callback["inputs"], *callback["state"])
    }
    assert declared - set(checks) == set()


# A JSON value of any shape, using the page's own words often enough to get past the first
# checks: keys of the stored view, of chart clicks and cells, known and unknown names.
WORDS = ["滁州", "滨州", "家电", "合肥", "campaign_sales", "zh", "en", "2018-01-01", "", MARKER]
KEYS = ["city", "industry", "lang", "start", "map_metric", "figure", "q", "points"]
KEYS += ["customdata", "row_id", "row", "column_id", "direction", "key", "type", "id"]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.sampled_from(WORDS)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)
FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(body=json_values)
def test_fuzz_any_json_body_is_refused_with_400(app, body):
    status, content = post(app, body)
    _assert_refused(status, content)


@FUZZ
@given(data=st.data())
def test_fuzz_real_callbacks_with_any_values_never_fail(app, data):
    """Each input of a real callback gets a random value (or keeps a good one) and a random
    input is the trigger: the answer is an update, no update (204) or a 400, never a 5xx."""
    output = data.draw(st.sampled_from(sorted(app.callback_map)))
    callback = app.callback_map[output]
    names = [f"{s['id']}.{s['property']}" for s in (*callback["inputs"], *callback["state"])]
    values = {
        name: data.draw(json_values, label=name) for name in names if data.draw(st.booleans())
    }
    plain = [s for s in callback["inputs"] if not s["id"].startswith("{")]
    changed = data.draw(st.sampled_from([""] + [f"{s['id']}.{s['property']}" for s in plain]))
    body = callback_body(app, output, values, changed)
    if data.draw(st.integers(0, 4)) == 0:  # now and then a part of the request itself is wrong
        broken = data.draw(st.sampled_from(["output", "outputs", "inputs", "changedPropIds"]))
        body[broken] = data.draw(json_values, label=broken)
    status, content = post(app, body)
    event(f"HTTP {status}")
    assert status in (200, 204, 400), content[:300]
    if status != 200:
        _assert_refused(status, content, codes=(204, 400))


# ---- URLs: the view's query string and the server's routes -------------------------------


def _notices(app: Dash, server: tuple[str, int], search: str) -> str:
    status, content = post(server, _sync(app, **{"url.search": search}))
    assert status == 200
    return json.dumps(json.loads(content)["response"]["notice"], ensure_ascii=False)


def test_unknown_and_overlong_url_parameters_get_a_notice(app, server):
    assert "bogus" in _notices(app, server, f"?bogus=1&{quote(MARKER)}=2")
    assert "合肥" in _notices(app, server, "?city=合肥")
    many = "?city=" + ",".join(["滁州", "滨州"] * 40)
    assert str(MAX_VALUES) in _notices(app, server, many)
    long = "?q=" + "x" * (MAX_QUERY_LENGTH + 10)
    assert str(len(long) - 1) in _notices(app, server, long)  # the notice gives the length


def test_very_long_urls_get_the_page_or_a_414_from_gunicorn(server):
    status, _, content = fetch(server, "GET", "/?q=" + "x" * 7000)
    assert status == 200 and b"<title>" in content  # the page then says the query is too long
    status, _, content = fetch(server, "GET", "/?q=" + "x" * 9000)  # past limit_request_line
    assert status == 414 and not TRACEBACK.search(content.decode(errors="replace"))
    assert fetch(server, "GET", "/")[0] == 200


TRAVERSALS = [
    "/assets/..%2f..%2fapp.py",
    "/assets/..%2F..%2Fgunicorn.conf.py",
    "/assets/%2e%2e/%2e%2e/app.py",
    "/assets/..%5c..%5capp.py",
    "/assets/....//....//app.py",
    "/assets/%252e%252e%252fapp.py",
    "/_dash-component-suites/dash/..%2f..%2f..%2fapp.py",
    "/_dash-component-suites/dash/%2e%2e/%2e%2e/dash.py",
    "/_dash-component-suites/dash/deps/..%252f..%252f..%252fapp.py",
    "/_dash-component-suites/..%2f..%2fapp/x.js",
    "/_dash-component-suites/os/__init__.py",
    "/_dash-component-suites/dash/dash.py",
    "/assets/../../app.py",
    "/_dash-component-suites/dash/../../../app.py",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_never_returns_a_file(server, path):
    status, headers, content = fetch(server, "GET", path)
    assert status == 404, content[:200]
    assert b"import" not in content and b"def " not in content
    assert not TRACEBACK.search(content.decode(errors="replace"))
    assert headers["X-Content-Type-Options"] == "nosniff"


# ---- headers -------------------------------------------------------------------------------


def test_every_answer_carries_the_security_headers(app, server):
    status, headers, page = fetch(server, "GET", "/")
    answers = [
        (status, headers),
        fetch(server, "GET", "/assets/style.css")[:2],
        fetch(server, "GET", "/assets/nothing.css")[:2],
        fetch(server, "POST", serving.CALLBACK_PATH, b"[]")[:2],
        fetch(server, "POST", serving.CALLBACK_PATH, json.dumps(_table(app, None)).encode())[:2],
    ]
    assert [s for s, _ in answers] == [200, 200, 404, 400, 200]
    for _, h in answers:
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["X-Frame-Options"] == "SAMEORIGIN"
        assert h["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'self'" in h["Content-Security-Policy"]
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'"
    assert "unsafe-inline" not in csp["script-src"] and "unsafe-eval" not in csp["script-src"]
    # Dash's inline script runs because the policy names its hash; nothing else inline may.
    inline = re.findall(
        rb"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", page
    )
    assert inline
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in csp["script-src"]


# ---- the view's parser and the stored view -----------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.sampled_from(["滁州", "Binzhou", "合肥", "x" * 50, ""]), max_size=3000),
    name=st.sampled_from(["city", "industry", "bogus", "q", "from"]),
)
def test_parse_query_bounds_long_queries_and_long_lists(dataset, values, name):
    search = f"?{name}=" + ",".join(values)
    state, notices = parse_query(dataset, search)
    assert all(len(getattr(state, n)) <= MAX_VALUES for n in ("city", "industry"))
    if len(search) > MAX_QUERY_LENGTH + 1:
        assert state == ViewState() and [n.key for n in notices] == ["notice_too_long"]
    assert all(len(v) <= 200 for n in notices for v in n.values.values())
    assert parse_query(dataset, to_query(state))[0] == state


@settings(max_examples=300, deadline=None)
@given(data=json_values)
def test_any_stored_data_reads_as_a_view(data):
    """The stored view comes back from the browser: whatever it holds, reading it gives a valid
    view, and only a view as the page stores it counts as one."""
    state = ViewState.from_dict(data)
    state.filters()  # its dates are real dates
    assert state.lang in ("zh", "en")
    stored = json.loads(json.dumps(state.to_dict()))
    assert is_state_data(stored) and ViewState.from_dict(stored) == state
    if is_state_data(data):
        assert ViewState.from_dict(data).to_dict().keys() >= data.keys()


def test_parse_query_ignores_what_is_not_a_string(dataset):
    assert parse_query(dataset, 42) == (ViewState(), [])  # type: ignore[arg-type]


# ---- files: reports to extract or add, data files -----------------------------------------


def fingerprint(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(directory)).encode() + path.read_bytes())
    return digest.hexdigest()


BAD_REPORTS = {
    "over-size": (b"x" * (MAX_REPORT_BYTES + 1), "at most"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
    "GBK": (REPORT.encode("gbk"), "not UTF-8"),
    "UTF-16": (REPORT.encode("utf-16"), "not a text file"),
    "Latin-1": ("Café, 2019: 2 millions".encode("latin-1"), "not UTF-8"),
}


@pytest.mark.parametrize("kind", list(BAD_REPORTS))
def test_a_bad_report_is_refused_by_extract_and_add(data_copy, tmp_path, capsys, kind):
    content, words = BAD_REPORTS[kind]
    report = tmp_path / "report.txt"
    report.write_bytes(content)
    review = write_review(tmp_path / "review.csv", ROWS)
    before = fingerprint(data_copy)
    assert main(["extract", str(report), "--data", str(data_copy)]) == EXIT_USAGE
    assert words in capsys.readouterr().err
    assert main(["add", str(report), str(review), "--data", str(data_copy)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert words in err and "Nothing was changed" in err
    assert fingerprint(data_copy) == before


def test_a_review_file_in_another_encoding_is_refused(data_copy, tmp_path, capsys):
    report = tmp_path / "report.txt"
    report.write_text(REPORT, encoding="utf-8")
    review = write_review(tmp_path / "review.csv", ROWS)
    review.write_bytes(review.read_text(encoding="utf-8").encode("gbk"))
    before = fingerprint(data_copy)
    assert main(["add", str(report), str(review), "--data", str(data_copy)]) == EXIT_USAGE
    assert "not UTF-8" in capsys.readouterr().err
    assert fingerprint(data_copy) == before


@pytest.mark.parametrize(
    ("encode", "words"),
    [
        (lambda text: text.encode("gb18030"), "not UTF-8"),
        (lambda text: text.encode("utf-16"), "not UTF-8"),
        (lambda text: text.replace("\n", "\n\x00,\x01\x02\n", 1).encode(), "figures.csv"),
        (lambda text: text.encode()[: len(text.encode()) // 2], "figures.csv"),
    ],
    ids=["GBK", "UTF-16", "binary row", "cut in the middle"],
)
def test_a_data_file_with_bad_bytes_is_named_not_a_traceback(data_copy, capsys, encode, words):
    path = data_copy / "figures.csv"
    path.write_bytes(encode(path.read_text(encoding="utf-8")))
    assert main(["validate", "--data", str(data_copy)]) == EXIT_INVALID_DATA
    err = capsys.readouterr().err
    assert words in err and "INVALID" in err
    assert not TRACEBACK.search(err)
