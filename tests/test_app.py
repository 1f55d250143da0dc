"""The app as production serves it: ``gunicorn app:server`` on a real socket."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator

import pytest

from dashboard.charts import CHARTS
from dashboard.layout import FIRST_DRAWN

from .conftest import start_gunicorn


@pytest.fixture(scope="module")
def gunicorn_url() -> Iterator[str]:
    with start_gunicorn() as url:
        yield url


def test_gunicorn_serves_the_page(gunicorn_url):
    with urllib.request.urlopen(gunicorn_url + "/") as response:
        page = response.read().decode()
    assert response.status == 200
    assert "<title>区域数字经济指标</title>" in page
    assert "/assets/style.css" in page


def _post_callback(
    url: str, output_part: str, inputs: list[dict], state: list[dict] | None = None
) -> dict:
    """Call the callback whose output names ``output_part`` as the browser does, over HTTP."""
    with urllib.request.urlopen(url + "/_dash-dependencies") as response:
        dependencies = json.load(response)
    callback = next(d for d in dependencies if output_part in d["output"])
    outputs = [
        dict(zip(("id", "property"), spec.rsplit(".", 1), strict=True))
        for spec in callback["output"].strip(".").split("...")
    ]
    body = json.dumps(
        {
            "output": callback["output"],
            "outputs": outputs if callback["output"].startswith("..") else outputs[0],
            "inputs": inputs,
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
            "state": state or [],
        }
    ).encode()
    request = urllib.request.Request(
        url + "/_dash-update-component", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response) if response.status == 200 else {}  # 204: nothing to update


DRAWN = {"id": FIRST_DRAWN, "property": "data", "value": True}


def test_table_callback_answers_over_http_with_every_chuzhou_figure(gunicorn_url):
    state = {"lang": "zh", "city": ["滁州"]}
    answer = _post_callback(
        gunicorn_url,
        "table.getRowsResponse",
        [{"id": "table", "property": "getRowsRequest", "value": {"startRow": 0, "endRow": 10}}],
        [{"id": "state", "property": "data", "value": state}],
    )
    rows = answer["response"]["table"]["getRowsResponse"]["rowData"]
    assert {r["id"] for r in rows} == {
        "chuzhou-2018-appliance-festival-sales",
        "chuzhou-2018-appliance-festival-companies",
        "chuzhou-2018-618-sales",
        "chuzhou-2018-park-companies-signed",
    }
    values = {r["id"]: r["value"] for r in rows}
    assert values["chuzhou-2018-618-sales"] == "3.55亿元"
    assert "推定" in next(r["period"] for r in rows if r["id"] == "chuzhou-2018-618-sales")


def test_a_new_page_gets_its_first_chart_before_the_rest(gunicorn_url):
    """Until the page says its first chart has drawn, the other charts are not sent (204,
    nothing to update); the first chart is."""
    view = [
        {"id": "state", "property": "data", "value": {"lang": "zh"}},
        {"id": "version", "property": "data", "value": 1},
    ]
    first, later = CHARTS[0], CHARTS[1]
    answer = _post_callback(gunicorn_url, f"{first.id}.figure", view)
    assert "figure" in answer["response"][first.id]
    waiting = {**DRAWN, "value": False}
    assert not _post_callback(gunicorn_url, f"{later.id}.figure", [*view, waiting]).get("response")
    drawn = _post_callback(gunicorn_url, f"{later.id}.figure", [*view, DRAWN])
    assert "figure" in drawn["response"][later.id]


def test_kpi_callback_in_english_marks_bounds_and_targets(gunicorn_url):
    answer = _post_callback(
        gunicorn_url,
        "kpis.children",
        [
            {"id": "state", "property": "data", "value": {"lang": "en"}},
            {"id": "version", "property": "data", "value": 2},
        ],
    )
    text = json.dumps(answer["response"]["kpis"]["children"], ensure_ascii=False)
    assert "CNY 490.7 million" in text  # 1.3572亿 + 3.55亿, the shared figure once
    assert '"≥"' in text and "15 companies" in text  # 10 + at least 5
    assert "lower bound (at least)" in text  # what the symbol means, on hover
    assert "Target ~CNY 130 billion" in text


def test_page_loads_scripts_and_styles_only_from_the_app_itself(gunicorn_url):
    with urllib.request.urlopen(gunicorn_url + "/") as response:
        page = response.read().decode()
    links = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(link.endswith(".js") or ".js?" in link for link in links)
    assert [link for link in links if not link.startswith("/") or link.startswith("//")] == []
    # Babel's polyfill for old browsers is left out; the one part Dash needs comes alone.
    assert not [link for link in links if "polyfill" in link]
    assert [link for link in links if "/regenerator-runtime-" in link]
    for link in links:  # and each of them is really there
        with urllib.request.urlopen(gunicorn_url + link) as response:
            assert response.status == 200, link


def test_scripts_and_callback_answers_are_compressed(gunicorn_url):
    """The first load is mostly plotly.js: compressed it fits an office link (issue #6)."""
    path = "/_dash-component-suites/plotly/package_data/plotly.min.js"
    raw = urllib.request.urlopen(
        urllib.request.Request(gunicorn_url + path, headers={"Accept-Encoding": "identity"})
    ).read()
    with urllib.request.urlopen(
        urllib.request.Request(gunicorn_url + path, headers={"Accept-Encoding": "br, gzip"})
    ) as response:
        assert response.headers["Content-Encoding"] in ("br", "gzip")
        wire = response.read()
    assert len(wire) < len(raw) / 3
