"""The dashboard as a person uses it: filters, links, charts, table, language, keyboard, tablet.

Every test drives the real page in chromium against the session's gunicorn server and waits for
what Dash renders in the browser (never a fixed sleep); the ``page`` fixture fails a test on any
console error or any request that leaves the app's own server.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import plotly
import pytest
from playwright.sync_api import Locator, Page, expect

from dashboard.charts import CHARTS

GRAPHS = {
    "chart-sales": "各城市、产业的活动销售额",
    "chart-timeline": "合作与活动时间线",
    "chart-targets": "目标与已报道规模",
    "chart-companies": "签约、获奖与参与活动的企业",
    "chart-map": "各省份活动销售额",
    "chart-ranking": "各城市活动销售额排名",
}
EMPTY_CHART_ZH = "没有符合筛选条件的数据"
QUOTE_618 = "截至本月25日，在滁相关企业在京东销售额已达到3.55亿元"
QUOTE_FESTIVAL = "仅康佳白电、扬子空调、KKTV三家滁州企业在京东的销售总额就达到1.3572亿元"


# --- helpers -------------------------------------------------------------------------------------


def current_url(page: Page) -> str:
    # ``page.url`` can lag behind a history.pushState made while the page is still loading, so
    # ask the document itself.
    return page.evaluate("window.location.href")


def query(page: Page) -> dict[str, str]:
    """The page's query string, decoded: ``{"city": "滁州", ...}``."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(current_url(page)).query).items()}


def wait_for_query(page: Page, timeout: float = 5.0, **expected: str | None) -> dict[str, str]:
    """Wait until the URL's query has each ``key=value`` (``None``: the key is absent).

    A callback writes the URL after the click, so it changes asynchronously.
    """
    deadline = time.monotonic() + timeout
    while True:
        current = query(page)
        if all(current.get(key) == value for key, value in expected.items()):
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"URL {unquote(current_url(page))} does not have {expected}")
        page.wait_for_timeout(50)


def open_page(page: Page, base_url: str, path: str = "/") -> None:
    """Go to ``path`` and wait until the callbacks have filled in the KPIs, drawn every chart
    (the first, then the others: layout.FIRST_DRAWN) and sent the table's rows."""
    page.goto(base_url + path)
    expect(page.locator("#kpi-campaign_sales")).not_to_be_empty()
    for chart in CHARTS:
        expect(page.locator(f"#{chart.id} .gtitle")).not_to_be_empty()
    page.wait_for_function(ROWS_LOADED)


# The table's grid holds every block of rows it asked for (it asks as it is drawn, before the
# charts): none, once it knows there are no rows.
ROWS_LOADED = """() => {
  try {
    const api = window.dash_ag_grid.getApi("table");
    const blocks = Object.values(api.getCacheBlockState());
    const loaded = blocks.every((block) => block.pageStatus === "loaded");
    return loaded && (blocks.length > 0 || api.getDisplayedRowCount() === 0);
  } catch (error) {
    return false;
  }
}"""


def choose(page: Page, dropdown_id: str, label: str) -> None:
    """Pick ``label`` in a multi dropdown as a person does: open it, type, Enter, Escape."""
    page.locator(f"#{dropdown_id}").click()
    search = page.locator(".dash-dropdown-content input.dash-dropdown-search")
    expect(search).to_be_focused()
    page.keyboard.type(label)
    expect(page.locator(".dash-dropdown-content [role=option]")).to_have_text([label])
    page.keyboard.press("Enter")
    expect(page.locator(".dash-dropdown-content [role=option]")).to_have_attribute(
        "aria-selected", "true"
    )
    page.keyboard.press("Escape")
    expect(page.locator(".dash-dropdown-content")).to_have_count(0)


def chips(page: Page, dropdown_id: str) -> Locator:
    """The values a multi dropdown shows as chosen."""
    return page.locator(f"#{dropdown_id}-value .dash-dropdown-value-item")


def click_on(page: Page, target: Locator) -> None:
    """Move the mouse onto a plotly bar or marker and click it.

    Plotly listens on a drag layer above its shapes, so the click goes to the shape's place on
    screen rather than to the shape element.
    """
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    assert box is not None, "the chart element is not rendered"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def table_rows(page: Page) -> Locator:
    return page.locator("#table .ag-center-cols-container .ag-row")


def table_cells(page: Page, column: str) -> Locator:
    return page.locator(f"#table .ag-row .ag-cell[col-id={column}]")  # pinned or not


# --- tests ---------------------------------------------------------------------------------------


def test_loads_in_chinese_with_every_chart(page: Page, live_server: str) -> None:
    open_page(page, live_server)
    expect(page).to_have_title("区域数字经济指标")
    expect(page.locator("h1")).to_have_text("区域数字经济指标")
    expect(page.locator("#root")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#lang-toggle")).to_have_text("English")
    expect(page.locator("#kpi-campaign_sales .kpi-value")).to_have_text("4.91亿元")
    expect(page.locator("#kpi-companies_signed .kpi-value")).to_have_text("≥15家")
    expect(page.locator("#kpi-targets")).to_contain_text("目标 ~1300亿元")
    for graph_id, title in GRAPHS.items():
        expect(page.locator(f"#{graph_id} svg.main-svg").first).to_be_visible()
        expect(page.locator(f"#{graph_id} .gtitle")).to_contain_text(title)
    expect(page.locator("#chart-sales .bars path")).not_to_have_count(0)
    expect(page.locator("#chart-map .point")).to_have_count(34)  # a tile per province-level unit
    expect(page.locator("#active-filters")).to_have_text("未筛选：显示全部数据")
    expect(page.locator("#notice")).to_be_hidden()
    expect(page.locator("#empty")).to_be_hidden()
    expect(table_rows(page)).to_have_count(7)
    assert query(page) == {}


# dropdown, label typed, URL key and value, then texts the view must show and must no longer show.
FILTER_CASES = [
    pytest.param(
        "f-province",
        "山东",
        ("province", "山东"),
        [
            ("#kpi-campaign_sales", "无数据"),
            ("#kpi-companies_signed", "≥5家"),
            ("#chart-sales", EMPTY_CHART_ZH),
        ],
        [("#chart-timeline", "滁州 ·")],
        id="province",
    ),
    pytest.param(
        "f-city",
        "滁州",
        ("city", "滁州"),
        [("#kpi-companies_signed", "10家"), ("#active-filters", "城市：滁州")],
        [("#chart-timeline", "滨州 ·"), ("#chart-companies", "滨州")],
        id="city",
    ),
    pytest.param(
        "f-industry",
        "纺织",
        ("industry", "纺织"),
        [("#kpi-campaign_sales", "无数据"), ("#chart-sales", EMPTY_CHART_ZH)],
        [("#table", "3.55亿元")],
        id="industry",
    ),
    pytest.param(
        "f-metric",
        "签约入驻企业数",
        ("metric", "companies_signed"),
        [("#table", "签约入驻企业数"), ("#active-filters", "指标：签约入驻企业数")],
        [("#table", "3.55亿元"), ("#table", ">1000亿元")],
        id="metric",
    ),
    pytest.param(
        "f-campaign",
        "滁州智能家电节",
        ("campaign", "chuzhou-2018-appliance-festival"),
        [("#kpi-campaign_sales", "1.36亿元"), ("#chart-sales", "1.36亿元")],
        [("#chart-sales", "3.55亿元")],
        id="campaign",
    ),
]


@pytest.mark.parametrize(("dropdown", "label", "param", "shown", "gone"), FILTER_CASES)
def test_each_filter_changes_the_view_and_the_url(
    page: Page,
    live_server: str,
    dropdown: str,
    label: str,
    param: tuple[str, str],
    shown: list[tuple[str, str]],
    gone: list[tuple[str, str]],
) -> None:
    open_page(page, live_server)
    for selector, text in gone:  # present before, so its absence later means the filter acted
        expect(page.locator(selector)).to_contain_text(text)
    choose(page, dropdown, label)
    key, value = param
    wait_for_query(page, **{key: value})
    expect(chips(page, dropdown)).to_have_text([label])
    for selector, text in shown:
        expect(page.locator(selector)).to_contain_text(text)
    for selector, text in gone:
        expect(page.locator(selector)).not_to_contain_text(text)


def test_period_slider_changes_the_timeline_and_the_url(page: Page, live_server: str) -> None:
    open_page(page, live_server)
    timeline = page.locator("#chart-timeline")
    expect(timeline).to_contain_text("滁州与京东集团展开合作")  # May 2017
    expect(timeline).to_contain_text("黄河三角洲云计算大数据产业")  # 2017
    lower = page.locator("#f-period [role=slider]").first
    expect(lower).to_have_attribute("aria-valuenow", "2016")
    lower.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(lower).to_have_attribute("aria-valuenow", "2018")
    wait_for_query(page, **{"from": "2018-01-01", "to": None})
    expect(page.locator("#active-filters")).to_contain_text("2018-01-01")
    expect(timeline).not_to_contain_text("滁州与京东集团展开合作")
    expect(timeline).not_to_contain_text("黄河三角洲云计算大数据产业")
    expect(timeline).to_contain_text("“十三五”打造1300亿级")  # the 2016–2020 plan overlaps 2018
    expect(timeline).to_contain_text("滁州智能家电节")


def test_opening_a_url_restores_the_view(page: Page, live_server: str) -> None:
    open_page(page, live_server, "/?city=滨州&industry=纺织&lang=en")
    expect(page.locator("#root")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Reset filters")).to_be_visible()
    expect(page.locator("label[for=f-city]")).to_have_text("City")
    expect(page.locator("#kpi-companies_signed .kpi-value")).to_have_text("≥5 companies")
    expect(page.locator("#kpi-campaign_sales .kpi-value")).to_have_text("No data")
    expect(chips(page, "f-city")).to_have_text(["Binzhou"])
    expect(chips(page, "f-industry")).to_have_text(["Textiles"])
    expect(page.locator("#active-filters")).to_contain_text("Binzhou")
    assert query(page) == {"city": "滨州", "industry": "纺织", "lang": "en"}


def test_language_switch_and_back(page: Page, live_server: str) -> None:
    open_page(page, live_server)
    expect(page.locator("#kpi-campaign_sales .kpi-value")).to_have_text("4.91亿元")
    page.locator("#lang-toggle").click()
    wait_for_query(page, lang="en")
    expect(page.locator("#lang-toggle")).to_have_text("中文")
    expect(page.locator("#root")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Regional digital-economy metrics")
    expect(page.locator("button.reset")).to_have_text("Reset filters")
    expect(page.locator("#kpi-campaign_sales .kpi-value")).to_have_text("CNY 490.7 million")
    expect(page.locator("#kpi-companies_signed .kpi-value")).to_have_text("≥15 companies")
    sales = page.locator("#chart-sales")
    expect(sales.locator(".gtitle")).to_contain_text("Campaign sales by city and")
    expect(sales.locator(".xtick")).to_have_text(["Chuzhou"])
    expect(page.locator("#chart-companies")).to_contain_text("Binzhou")
    expect(page.locator("#table .ag-header-cell-text")).to_contain_text(["City", "Industry"])
    expect(page.locator("#table .ag-paging-panel")).to_contain_text("Page 1 of 1")
    page.locator("#lang-toggle").click()
    wait_for_query(page, lang=None)
    expect(page.locator("#kpi-campaign_sales .kpi-value")).to_have_text("4.91亿元")
    expect(page.locator("#lang-toggle")).to_have_text("English")
    expect(page.locator("#root")).to_have_attribute("lang", "zh-CN")
    expect(sales.locator(".xtick")).to_have_text(["滁州"])


def test_clicking_a_bar_or_a_marker_cross_filters(page: Page, live_server: str) -> None:
    open_page(page, live_server)
    bars = page.locator("#chart-sales .bars path")
    expect(bars).not_to_have_count(0)
    click_on(page, bars.first)
    current = wait_for_query(page, city="滁州")
    assert current.get("industry") in {"家电", "食品"}, current
    expect(page.locator("#active-filters")).to_contain_text("城市：滁州")
    expect(chips(page, "f-city")).to_have_text(["滁州"])
    expect(chips(page, "f-industry")).to_have_text([current["industry"]])

    page.locator("button.reset").click()
    wait_for_query(page, city=None, industry=None)
    # The tile map, on the number of companies signed: Shandong (Binzhou) has a value.
    page.locator("#map-metric").click()
    page.get_by_role("option", name="签约入驻企业数").click()
    wait_for_query(page, map="companies_signed")
    click_on(page, page.locator("#chart-map .bartext", has_text="山东"))
    wait_for_query(page, province="山东", city=None)
    expect(page.locator("#active-filters")).to_have_text("当前筛选 · 省份：山东")
    expect(page.locator("#kpi-companies_signed .kpi-value")).to_have_text("≥5家")
    # A city's bar in the ranking filters by that city.
    click_on(page, page.locator("#chart-ranking .bars path").first)
    wait_for_query(page, city="滨州")
    expect(chips(page, "f-city")).to_have_text(["滨州"])


def test_table_cell_and_kpi_link_open_the_source_passage(page: Page, live_server: str) -> None:
    open_page(page, live_server)
    expect(page.locator("#source-body")).to_contain_text("在表格中点选一行")
    table_cells(page, "value").filter(has_text="3.55亿元").click()
    wait_for_query(page, figure="chuzhou-2018-618-sales")
    expect(page.locator("mark#source-quote")).to_have_text(QUOTE_618)
    expect(page.locator("#source-body")).to_contain_text("000_0a8ea07d3a04f351")
    page.locator("#kpi-campaign_sales .figure-link", has_text="[1]").click()
    wait_for_query(page, figure="chuzhou-2018-appliance-festival-sales")
    expect(page.locator("mark#source-quote")).to_have_text(QUOTE_FESTIVAL)


def test_malformed_url_shows_a_notice_and_the_defaults(page: Page, live_server: str) -> None:
    open_page(page, live_server, "/?city=合肥&foo=bar&from=2018-13-01&lang=xx")
    notice = page.get_by_role("alert")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("链接中有无法识别的内容")
    expect(notice.locator("li")).to_have_count(4)
    for text in ("“foo”", "“合肥”", "“2018-13-01”", "“xx”"):
        expect(notice).to_contain_text(text)
    expect(page.locator("#kpi-campaign_sales .kpi-value")).to_have_text("4.91亿元")
    expect(page.locator("#root")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#active-filters")).to_have_text("未筛选：显示全部数据")
    expect(table_rows(page)).to_have_count(7)
    for graph_id in GRAPHS:
        expect(page.locator(f"#{graph_id} .gtitle")).not_to_be_empty()


def test_back_and_forward_replay_the_view(page: Page, live_server: str) -> None:
    open_page(page, live_server)
    choose(page, "f-city", "滁州")
    wait_for_query(page, city="滁州", lang=None)
    page.locator("#lang-toggle").click()
    wait_for_query(page, city="滁州", lang="en")
    expect(page.locator("#active-filters")).to_contain_text("City: Chuzhou")
    active = page.locator("#active-filters")

    page.go_back()
    wait_for_query(page, city="滁州", lang=None)
    expect(page.locator("#lang-toggle")).to_have_text("English")
    expect(active).to_have_text("当前筛选 · 城市：滁州")
    expect(chips(page, "f-city")).to_have_text(["滁州"])

    page.go_back()
    wait_for_query(page, city=None, lang=None)
    expect(active).to_have_text("未筛选：显示全部数据")
    expect(chips(page, "f-city")).to_have_count(0)

    page.go_forward()
    wait_for_query(page, city="滁州", lang=None)
    expect(active).to_have_text("当前筛选 · 城市：滁州")
    expect(chips(page, "f-city")).to_have_text(["滁州"])


def test_search_box_filters_the_table(page: Page, live_server: str) -> None:
    open_page(page, live_server)
    expect(table_rows(page)).to_have_count(7)
    search = page.locator("#search")
    search.click()
    page.keyboard.type("纺织")
    page.keyboard.press("Enter")
    wait_for_query(page, q="纺织")
    expect(table_rows(page)).to_have_count(3)
    expect(table_cells(page, "city")).to_have_text(["滨州"] * 3)
    expect(table_cells(page, "industry")).to_have_text(["纺织"] * 3)


def test_reset_clears_filters_and_keeps_english(page: Page, live_server: str) -> None:
    open_page(page, live_server, "/?city=滁州&lang=en")
    active = page.locator("#active-filters")
    expect(active).to_have_text("Current filters · City: Chuzhou")
    expect(chips(page, "f-city")).to_have_text(["Chuzhou"])
    page.get_by_role("button", name="Reset filters").click()
    wait_for_query(page, city=None, lang="en")
    expect(active).to_have_text("No filters: showing all figures")
    expect(chips(page, "f-city")).to_have_count(0)
    expect(page.locator("#lang-toggle")).to_have_text("中文")
    expect(page.locator("#root")).to_have_attribute("lang", "en")
    expect(page.locator("#kpi-companies_signed .kpi-value")).to_have_text("≥15 companies")


def test_empty_state_says_nothing_matches(page: Page, live_server: str) -> None:
    open_page(page, live_server, "/?city=滨州&metric=campaign_sales")
    empty = page.locator("#empty")
    expect(empty).to_be_visible()
    expect(empty).to_have_text("没有符合筛选条件的数据。")
    expect(page.locator("#chart-sales")).to_contain_text(EMPTY_CHART_ZH)
    expect(table_rows(page)).to_have_count(0)
    assert query(page) == {"city": "滨州", "metric": "campaign_sales"}


def test_keyboard_reaches_language_filters_and_reset(page: Page, live_server: str) -> None:
    open_page(page, live_server)
    describe = """() => {
        const e = document.activeElement;
        return e ? [e.id, String(e.className)].join(' ') : '';
    }"""
    seen: list[str] = []
    for _ in range(20):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(describe))
        if "reset" in seen[-1].split():
            break

    def first(word: str) -> int:
        hits = [i for i, d in enumerate(seen) if word in d.split()]
        assert hits, f"Tab never reached {word}: {seen}"
        return hits[0]

    assert first("lang-toggle") < first("f-province") < first("f-city") < first("reset"), seen
    # Enter on a filter opens it from the keyboard alone.
    page.locator("#f-province").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".dash-dropdown-content [role=option]")).to_have_count(2)
    page.keyboard.press("Escape")
    expect(page.locator(".dash-dropdown-content")).to_have_count(0)


def test_tablet_stacks_the_charts_without_horizontal_scroll(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 768, "height": 1024})
    open_page(page, live_server)
    for graph_id in GRAPHS:
        expect(page.locator(f"#{graph_id} .gtitle")).not_to_be_empty()

    def card(graph_id: str) -> dict[str, float]:
        box = page.locator(".card").filter(has=page.locator(f"#{graph_id}")).bounding_box()
        assert box is not None
        return box

    sales, targets, companies = card("chart-sales"), card("chart-targets"), card("chart-companies")
    assert sales["y"] + sales["height"] <= targets["y"], (sales, targets)
    # At laptop size these two share a row; on a tablet they must be one above the other.
    assert targets["y"] + targets["height"] <= companies["y"], (targets, companies)
    assert abs(targets["x"] - companies["x"]) < 1, (targets, companies)
    width = page.evaluate("document.documentElement.scrollWidth")
    sticking_out = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map(e => `${e.tagName.toLowerCase()}.${e.className}`.slice(0, 60))
            .slice(0, 5)"""
    )
    assert width <= 768 + 1, f"the page is {width}px wide on a 768px screen: {sticking_out}"


@pytest.mark.parametrize("graph_id", sorted(GRAPHS))
def test_every_chart_saves_as_png(page: Page, live_server: str, graph_id):
    open_page(page, live_server)
    graph = page.locator(f"#{graph_id}")
    graph.scroll_into_view_if_needed()
    graph.hover()
    camera = graph.locator(".modebar-btn[data-title*='png' i]")
    with page.expect_download() as download_info:
        camera.click()
    download = download_info.value
    assert download.suggested_filename == f"{graph_id}.png"
    data = Path(download.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_export_button_downloads_the_filtered_workbook(page: Page, live_server: str) -> None:
    from openpyxl import load_workbook

    open_page(page, live_server, "/?lang=en")
    choose(page, "f-city", "Chuzhou")
    wait_for_query(page, city="滁州", lang="en")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export to Excel").click()
    download = download_info.value
    assert download.suggested_filename.startswith("Regional-digital-economy-metrics_Chuzhou_")
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))  # no suffix
    assert workbook.sheetnames == ["Summary", "Figures", "Sources", "About"]
    ids = [row[0] for row in workbook["Figures"].iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(
        [
            "chuzhou-2018-appliance-festival-sales",
            "chuzhou-2018-appliance-festival-companies",
            "chuzhou-2018-618-sales",
            "chuzhou-2018-park-companies-signed",
        ]
    )
    rows = list(workbook["About"].iter_rows(values_only=True))
    end = next(i for i, r in enumerate(rows) if r[0] == "Columns of the Figures sheet")
    about = {r[0]: r[1] for r in rows[:end] if r[0]}  # above the table of column meanings
    assert about["City"] == "Chuzhou" and about["Language"] == "English"


def test_charts_use_the_cartesian_plotly_bundle_of_the_same_version(page: Page, live_server):
    """assets/ carries plotly.js's cartesian bundle (every chart here is bars and scatter): a
    third of the full bundle to send and parse. It must match the version plotly.py targets."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(urlsplit(request.url).path))
    open_page(page, live_server)
    expected = plotly.offline.get_plotlyjs_version()
    assert page.evaluate("Plotly.version") == expected
    assert f"/assets/plotly-cartesian-{expected}.min.js" in requested
    assert not [path for path in requested if path.endswith("plotly.min.js")]


def test_keyboard_selects_a_table_row_and_opens_its_source(page: Page, live_server: str) -> None:
    """Into the table with Tab, down its rows with the arrows, Space selects a row and Enter
    opens its source (dash-ag-grid passes a selection made by key to the page on the next
    key)."""
    open_page(page, live_server)
    expect(table_rows(page)).to_have_count(7)
    page.locator("#search").focus()
    page.keyboard.press("Tab")  # the first column's header
    expect(page.locator("#table .ag-header-cell[col-id=city]")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # the second row
    page.keyboard.press(" ")
    expect(table_rows(page).nth(1)).to_have_class(re.compile(r"\bag-row-selected\b"))
    page.keyboard.press("Enter")
    second = table_rows(page).nth(1).get_attribute("row-id")
    wait_for_query(page, figure=second)
    expect(page.locator("mark#source-quote")).not_to_be_empty()
