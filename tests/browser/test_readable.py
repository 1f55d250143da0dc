"""The page reads well at every size and scale, measured in a real browser: no chart text
drawn over other text or cut off at a chart's edge, in both languages, on a laptop and a
desktop screen, with the bundled reports and with a national dataset; on a phone the page
fits its width, the filters fold away and the table becomes a card per figure; axe-core finds
no critical or serious accessibility problem on any view."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from benchmarks.common import serve
from dashboard.charts import CHARTS
from dashboard.layout import alt_id
from dashboard.table import CARD_HEIGHT
from metrics.synth import synthesize

from .conftest import foreign_requests
from .test_dashboard import open_page, table_rows

NATIONAL_FIGURES = 100_000

# Every text of a chart's SVG that is drawn (not hidden by Plotly because it did not fit), with
# its box on the screen and the box of the chart it belongs to. Ticks on the same axis sit side
# by side by design and are compared too: a crowded axis is what this catches.
TEXT_BOXES = """(id) => {
  const graph = document.getElementById(id);
  const svg = graph.querySelector('svg.main-svg');
  const frame = svg.getBoundingClientRect();
  const shown = (e) => {
    for (let n = e; n && n !== svg; n = n.parentElement) {
      const style = getComputedStyle(n);
      if (style.display === 'none' || style.visibility === 'hidden' || +style.opacity === 0) {
        return false;
      }
    }
    return true;
  };
  const boxes = [];
  graph.querySelectorAll('svg text').forEach((e) => {
    if (!e.textContent.trim() || !shown(e)) return;
    // A multi-line text is measured line by line: its lines never overlap each other.
    const lines = e.querySelectorAll('tspan.line');
    for (const part of (lines.length ? lines : [e])) {
      const r = part.getBoundingClientRect();
      if (r.width && r.height) {
        boxes.push({text: part.textContent.slice(0, 40), x: r.x, y: r.y, w: r.width, h: r.height,
                    cls: e.getAttribute('class') || ''});
      }
    }
  });
  return {frame: {x: frame.x, y: frame.y, w: frame.width, h: frame.height}, boxes};
}"""


def _overlap(a: dict, b: dict, slack: float = 1.0) -> bool:
    return (
        a["x"] + a["w"] - slack > b["x"]
        and b["x"] + b["w"] - slack > a["x"]
        and a["y"] + a["h"] - slack > b["y"]
        and b["y"] + b["h"] - slack > a["y"]
    )


def text_problems(page: Page, graph_id: str) -> list[str]:
    """What is wrong with the text of one chart: cut off at its edge, or drawn over other text."""
    found = page.evaluate(TEXT_BOXES, graph_id)
    frame, boxes = found["frame"], found["boxes"]
    assert boxes, f"{graph_id}: no text at all"
    problems = []
    for box in boxes:
        inside = (
            box["x"] >= frame["x"] - 1
            and box["y"] >= frame["y"] - 1
            and box["x"] + box["w"] <= frame["x"] + frame["w"] + 1
            and box["y"] + box["h"] <= frame["y"] + frame["h"] + 1
        )
        if not inside:
            problems.append(f"{graph_id}: «{box['text']}» is cut off at the chart's edge")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if _overlap(a, b):
                problems.append(f"{graph_id}: «{a['text']}» and «{b['text']}» overlap")
    return problems


def check_every_chart(page: Page) -> None:
    problems = []
    for chart in CHARTS:
        graph = page.locator(f"#{chart.id}")
        graph.scroll_into_view_if_needed()
        expect(graph.locator(".gtitle")).not_to_be_empty()
        problems += text_problems(page, chart.id)
    assert not problems, "\n".join(problems[:20])


@pytest.fixture(scope="module")
def national_server(tmp_path_factory) -> Iterator[str]:
    data = synthesize(NATIONAL_FIGURES, tmp_path_factory.mktemp("readable") / "data", seed=5)
    with serve(workers=1, data=data, ready_timeout=300) as server:
        yield server.url


@pytest.fixture
def national_page(browser: Browser, national_server: str) -> Iterator[Page]:
    """A page on the national server that, like the ``page`` fixture, allows no other host."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    page = context.new_page()
    yield page
    context.close()
    assert not foreign_requests(requested, national_server)


@pytest.mark.parametrize("width", [1024, 1400])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_chart_text_overlaps_or_is_cut_off(page: Page, live_server: str, lang, width):
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, live_server, "/?lang=en" if lang == "en" else "/")
    check_every_chart(page)


@pytest.mark.parametrize("width", [1024, 1400])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_chart_text_overlaps_at_national_scale(national_page, national_server, lang, width):
    national_page.set_viewport_size({"width": width, "height": 900})
    open_page(national_page, national_server, "/?lang=en" if lang == "en" else "/")
    check_every_chart(national_page)


def test_national_table_pages_and_sorts_on_the_server(national_page, national_server):
    page = national_page
    open_page(page, national_server, "/?lang=en")
    paging = page.locator("#table .ag-paging-panel")
    expect(paging).to_contain_text(f"of {NATIONAL_FIGURES:,}")
    expect(table_rows(page)).to_have_count(10)
    page.locator("#table .ag-header-cell[col-id=value] .ag-header-cell-label").click()
    page.locator("#table .ag-header-cell[col-id=value] .ag-header-cell-label").click()
    expect(page.locator("#table .ag-header-cell[col-id=value]")).to_have_attribute(
        "aria-sort", "descending"
    )
    page.get_by_role("button", name="Next page").click()
    expect(paging).to_contain_text("Page 2 of")
    expect(table_rows(page)).to_have_count(10)


def test_a_phone_gets_one_column_folded_filters_and_a_card_per_figure(page: Page, live_server: str):
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, live_server)
    panel = page.locator("#filter-panel")
    expect(panel).not_to_have_attribute("open", "")
    expect(page.locator("#active-filters")).to_be_visible()
    page.locator("#filter-panel summary").click()
    expect(page.locator("#f-city")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"the page is {width}px wide on a 390px phone"
    cards = page.locator("#table .figure-card")
    expect(cards).to_have_count(7)
    expect(cards.first.locator(".figure-card-value")).not_to_be_empty()
    check_every_chart(page)
    # In English the table is a new grid (its own words are made with it): still cards, as
    # tall as a card, and its pager in English.
    page.locator("#lang-toggle").click()
    expect(page.locator("#table .ag-paging-panel")).to_contain_text("Page 1 of 1")
    expect(cards).to_have_count(7)
    expect(cards.first).to_contain_text("CNY")
    row = page.locator("#table .ag-center-cols-container .ag-row").first
    expect(row).to_have_css("height", f"{CARD_HEIGHT}px")


AXE_VIEWS = {
    "zh": ("/", 1400),
    "en": ("/?lang=en", 1400),
    "filtered": ("/?city=滨州&figure=binzhou-textile-cluster-output", 1400),
    "phone": ("/", 390),
    "sign-in": ("/login", 1400),
}


# The grid has drawn its new columns and rows: while it changes them (a phone's cards come
# after the rows) a header row can be empty for a moment.
GRID_SETTLED = """() => {
  const rows = [...document.querySelectorAll("#table .ag-header-row")];
  return rows.every((row) => row.querySelector("[role=columnheader]"))
    && document.querySelector("#table [role=gridcell]") !== null;
}"""


@pytest.mark.parametrize("view", sorted(AXE_VIEWS))
def test_axe_finds_no_serious_problem(page: Page, live_server: str, view):
    path, width = AXE_VIEWS[view]
    page.set_viewport_size({"width": width, "height": 900})
    if path == "/login":
        page.goto(live_server + path)
        expect(page.locator("#username")).to_be_visible()
    else:
        open_page(page, live_server, path)
    if width < 640:  # the rows become cards once the grid holds rows: wait for them
        row = page.locator("#table .ag-center-cols-container .ag-row").first
        expect(row).to_have_css("height", f"{CARD_HEIGHT}px")
        page.wait_for_function(GRID_SETTLED)
    # axe-core comes with the package: nothing is fetched. Left out: Dash 4's dropdown keeps
    # a read-only input, hidden from screen readers, to hold focus while its list is open
    # (axe: aria-hidden-focus); the dropdown itself is a labelled button a keyboard opens.
    results = Axe().run(page, context={"exclude": [[".dash-dropdown-focus-target"]]})
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v["impact"] in ("critical", "serious")
    ]
    assert not serious, "\n".join(serious)


def test_every_chart_has_a_sentence_a_screen_reader_reads(page: Page, live_server: str):
    open_page(page, live_server, "/?lang=en")
    for chart in CHARTS:
        expect(page.locator(f"#{alt_id(chart)}")).to_contain_text("Chart: ")
    # The sentence is the chart's accessible name, and follows the view.
    sales = page.get_by_role("figure", name=re.compile(r"Chuzhou · Food: CNY 355 million"))
    expect(sales).to_have_count(1)
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("figure", name=re.compile("滁州 · 食品：3.55亿元"))).to_have_count(1)


def test_the_page_says_its_language(page: Page, live_server: str):
    open_page(page, live_server, "/?lang=en")
    expect(page.locator("#root")).to_have_attribute("lang", "en")
