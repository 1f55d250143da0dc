"""The page's logic without a browser: state transitions, URL state, charts and panels are plain
functions of (dataset, state), called here directly."""

from __future__ import annotations

import json
from dataclasses import replace

import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import charts, panels, table
from dashboard.callbacks import control_values, transition
from dashboard.charts.base import alt_text
from dashboard.urlstate import MAX_QUERY_LENGTH, ViewState, parse_query, to_query
from metrics.query import Filters


def keys(notices) -> list[str]:
    return [n.key for n in notices]


# ---- URL state ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ViewState()),
        (
            "?city=滁州&industry=家电&lang=en",
            ViewState(lang="en", city=("滁州",), industry=("家电",)),
        ),
        ("?city=Chuzhou,binzhou", ViewState(city=("滁州", "滨州"))),
        ("?city=滁州&city=滨州", ViewState(city=("滁州", "滨州"))),
        ("?from=2018&to=2018-06-25", ViewState(start="2018-01-01", end="2018-06-25")),
        (
            "?figure=chuzhou-2018-618-sales&map=companies_signed&q=纺织",
            ViewState(figure="chuzhou-2018-618-sales", map_metric="companies_signed", q="纺织"),
        ),
        ("?campaign=滁州智能家电节", ViewState(campaign=("chuzhou-2018-appliance-festival",))),
    ],
)
def test_query_strings_give_views(dataset, query, expected):
    state, notices = parse_query(dataset, query)
    assert state == expected
    assert notices == []


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("?foo=bar", "notice_unknown_param"),
        ("?city=合肥", "notice_unknown_value"),
        ("?from=2018-13-01", "notice_bad_date"),
        ("?to=yesterday", "notice_bad_date"),
        ("?lang=fr", "notice_bad_lang"),
        ("?figure=nope", "notice_bad_figure"),
        ("?from=2020&to=2017", "notice_period_order"),
        ("?city=" + ",".join(["滁州"] * 60), "notice_too_many"),
        ("?q=" + "x" * (MAX_QUERY_LENGTH + 1), "notice_too_long"),
    ],
)
def test_malformed_queries_fall_back_with_a_notice(dataset, query, notice):
    state, notices = parse_query(dataset, query)
    assert notice in keys(notices)
    assert state.lang == "zh"


def test_good_parts_of_a_bad_query_are_kept(dataset):
    state, notices = parse_query(dataset, "?city=滁州,合肥&lang=en&bogus=1")
    assert state.city == ("滁州",) and state.lang == "en"
    assert keys(notices) == ["notice_unknown_param", "notice_unknown_value"]


@pytest.mark.parametrize(
    "state",
    [
        ViewState(),
        ViewState(lang="en", city=("滁州", "滨州"), industry=("家电",), metric=("campaign_sales",)),
        ViewState(province=("山东",), start="2018-01-01", end="2018-12-31", q="纺织 2018"),
        ViewState(
            figure="chuzhou-2018-618-sales",
            map_metric="industry_output",
            campaign=("chuzhou-2018-618-campaign",),
        ),
    ],
)
def test_every_view_survives_a_round_trip_through_its_url(dataset, state):
    assert parse_query(dataset, to_query(state)) == (state, [])


def test_default_view_has_an_empty_query_and_values_are_encoded():
    assert to_query(ViewState()) == ""
    assert to_query(ViewState(city=("滁州",), lang="en")) == "?city=%E6%BB%81%E5%B7%9E&lang=en"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_no_query_string_breaks_the_parser(dataset, text):
    state, _ = parse_query(dataset, text)
    assert state.lang in ("zh", "en")
    assert parse_query(dataset, to_query(state))[0] == state


# ---- transitions --------------------------------------------------------------------------


def test_page_load_reads_the_url(dataset):
    state, notices = transition(dataset, ViewState(), None, search="?city=滨州&lang=en")
    assert state == ViewState(lang="en", city=("滨州",)) and notices == []


def test_language_toggle_keeps_the_filters(dataset):
    current = ViewState(city=("滁州",))
    state, _ = transition(dataset, current, "lang-toggle")
    assert state == replace(current, lang="en")
    assert transition(dataset, state, "lang-toggle")[0] == current


def test_reset_clears_filters_but_keeps_language(dataset):
    current = ViewState(lang="en", city=("滁州",), industry=("家电",), figure="x", q="y")
    state, _ = transition(dataset, current, {"type": "text", "key": "reset"})
    assert state == ViewState(lang="en")


def test_clicking_a_sales_bar_filters_by_its_city_and_industry(dataset):
    click = {"points": [{"customdata": ["滁州", "家电", "1.36亿元", "id"]}]}
    state, _ = transition(dataset, ViewState(lang="en"), "chart-sales", click=click)
    assert (state.city, state.industry, state.lang) == (("滁州",), ("家电",), "en")


def test_clicking_a_province_tile_filters_by_province(dataset):
    click = {"points": [{"customdata": ["山东"]}]}
    state, _ = transition(dataset, ViewState(industry=("纺织",)), "chart-map", click=click)
    assert state.province == ("山东",) and state.industry == ("纺织",)


def test_clicking_a_ranked_city_filters_by_city(dataset):
    click = {"points": [{"customdata": ["滨州"]}]}
    state, _ = transition(dataset, ViewState(), "chart-ranking", click=click)
    assert state.city == ("滨州",)


def test_a_click_without_data_changes_nothing(dataset):
    current = ViewState(city=("滁州",))
    assert transition(dataset, current, "chart-sales", click=None)[0] == current


def test_selecting_a_figure_from_table_or_link_and_closing_it(dataset):
    row = [{"id": "chuzhou-2018-618-sales", "city": "滁州"}]
    state, _ = transition(dataset, ViewState(), "table", selected=row)
    assert state.figure == "chuzhou-2018-618-sales"
    assert transition(dataset, state, "table", selected=[])[0] == state  # unselected: kept
    link = {"type": "figure-link", "figure": "binzhou-textile-cluster-output"}
    assert transition(dataset, state, link)[0].figure == "binzhou-textile-cluster-output"
    assert transition(dataset, state, {"type": "text", "key": "close"})[0].figure == ""


def test_controls_become_state_and_back(dataset):
    controls = {
        "province": [],
        "city": ["滁州"],
        "industry": ["食品", "家电"],
        "metric": [],
        "campaign": [],
        "source": [],
        "period": [2018, 2018],
        "map_metric": "companies_signed",
        "q": "京东",
    }
    state, _ = transition(dataset, ViewState(lang="en"), "f-city", controls=controls)
    assert state == ViewState(
        lang="en",
        city=("滁州",),
        industry=("食品", "家电"),
        start="2018-01-01",
        end="2018-12-31",
        map_metric="companies_signed",
        q="京东",
    )
    assert control_values(dataset, state) == controls


def test_full_period_range_means_no_period_filter(dataset):
    controls = {"period": [2016, 2020]}
    state, _ = transition(dataset, ViewState(start="2018-01-01"), "f-period", controls=controls)
    assert (state.start, state.end) == ("", "")


# ---- text, charts, panels -----------------------------------------------------------------


def _texts(fig) -> str:
    return json.dumps(json.loads(fig.to_json()), ensure_ascii=False)


def draw(dataset, chart, filters, lang="zh", metric="campaign_sales"):
    return go.Figure(charts.draw_chart(dataset, chart, filters, lang, metric))


CHART_IDS = [chart.id for chart in charts.CHARTS]


@pytest.mark.parametrize("chart", CHART_IDS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_names_its_reports(dataset, chart, lang):
    text = _texts(draw(dataset, chart, Filters(), lang))
    assert ("来源：" if lang == "zh" else "Source: ") in text
    title = "云领产业·京喜滁州" if lang == "zh" else "Cloud-led Industry"
    if chart != "chart-targets":  # the targets chart shows Binzhou only
        assert title in text


@pytest.mark.parametrize("chart", CHART_IDS)
def test_every_chart_says_so_when_nothing_matches(dataset, chart):
    nothing = Filters(period_start=None, city=("滨州",), campaign=("chuzhou-2018-awards",))
    text = _texts(draw(dataset, chart, nothing))
    assert "没有符合筛选条件的数据" in text


ALT_TEXTS = {
    "zh": {
        "chart-sales": "销售额。滁州 · 家电：4.91亿元；滁州 · 食品：3.55亿元。",
        "chart-targets": "滨州 · 纺织：>1000亿元；滨州 · 纺织：目标 ~1300亿元。",
        "chart-companies": "签约入驻：10家；滨州 · 签约入驻：≥5家；滁州 · 获奖：5家；共 4 项",
        "chart-map": "图表：各省份活动销售额。安徽：4.91亿元。",
        "chart-ranking": "滁州：4.91亿元。",
        "chart-timeline": "2018-06-26 (推定)；",
    },
    "en": {
        "chart-sales": "Home appliances: CNY 490.7 million; Chuzhou · Food: CNY 355 million",
        "chart-targets": "Binzhou · Textiles: >CNY 100 billion; Binzhou · Textiles: Target ~CNY",
        "chart-companies": "Binzhou · Signed into a park: ≥5 companies;",
        "chart-map": "Chart: Campaign sales by province. Anhui: CNY 490.7 million.",
        "chart-ranking": "Chuzhou: CNY 490.7 million.",
        "chart-timeline": "; 10 in all.",
    },
}


@pytest.mark.parametrize("chart", CHART_IDS)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_says_what_it_shows_in_a_sentence(dataset, chart, lang):
    """The text alternative a screen reader reads: the main marks with their qualifiers, the
    largest first, and how many there are when it names only some."""
    assert ALT_TEXTS[lang][chart] in alt_text(draw(dataset, chart, Filters(), lang))


@pytest.mark.parametrize("chart", CHART_IDS)
def test_a_chart_with_nothing_to_show_says_so_in_its_sentence(dataset, chart):
    nothing = Filters(period_start=None, city=("滨州",), campaign=("chuzhou-2018-awards",))
    assert alt_text(draw(dataset, chart, nothing, "en")).endswith("No figures match these filters.")


def test_sales_chart_draws_the_shared_figure_as_a_shared_segment(dataset):
    fig = go.Figure(charts.sales_by_city_industry(dataset, Filters(), "zh"))
    shared = [trace for trace in fig.data if "多产业合计" in trace.name]
    assert {trace.name for trace in shared} == {"家电（多产业合计）", "食品（多产业合计）"}
    appliances = next(tr for tr in shared if tr.name.startswith("家电"))
    assert list(appliances.base) == [pytest.approx(1.3572)]  # stacked on the 1.3572亿 part
    assert list(appliances.y) == [pytest.approx(3.55)]
    assert list(appliances.text) == ["4.91亿元"]  # the bar's total, on its top segment
    assert fig.layout.yaxis.title.text == "销售额（亿元）"


def test_sales_chart_in_english_uses_millions(dataset):
    fig = go.Figure(charts.sales_by_city_industry(dataset, Filters(), "en"))
    assert fig.layout.yaxis.title.text == "Sales (CNY million)"
    assert "Chuzhou" in _texts(fig) and "CNY 490.7 million" in _texts(fig)


def test_targets_chart_marks_the_target_and_the_lower_bound(dataset):
    text = _texts(go.Figure(charts.targets_against_scale(dataset, Filters(), "zh")))
    assert "目标 ~1300亿元" in text and ">1000亿元" in text and "从不相加" in text


def test_timeline_marks_inferred_dates(dataset):
    fig = go.Figure(charts.event_timeline(dataset, Filters(), "en"))
    symbols = [s for trace in fig.data if trace.mode == "markers" for s in trace.marker.symbol]
    assert any(s.endswith("-open") for s in symbols)  # the Chuzhou 2018 events
    assert "2018-06-26 (inferred)" in _texts(fig)


def test_tile_map_has_a_tile_per_province_level_unit_and_draws_no_boundaries(dataset):
    fig = draw(dataset, "chart-map", Filters(), "zh", "industry_output")
    assert {trace.type for trace in fig.data} == {"bar"}  # tiles only: no geo, no map tiles
    tiles = [str(hover).split("<br>")[0] for trace in fig.data for hover in trace.hovertext]
    assert len(tiles) == len(set(tiles)) == 34 and {"台湾", "香港", "澳门"} <= set(tiles)
    words = _texts(fig).replace("<br>", "")  # a long note is wrapped
    assert "未绘制行政区划边界" in words and "示意图" in words
    clickable = [trace for trace in fig.data if trace.customdata is not None]
    provinces = set(dataset.cities["province"].astype(str))
    assert sorted(str(p) for trace in clickable for p in trace.customdata[:, 0]) == sorted(
        provinces
    )


def test_ranking_orders_cities_by_their_total(dataset):
    fig = draw(dataset, "chart-ranking", Filters(), "en", "campaign_sales")
    cities = [str(c[0]) for trace in fig.data for c in trace.customdata]
    assert cities == ["滁州"]  # the one city with campaign sales in the bundled reports


def test_kpis_show_totals_with_qualifiers_and_links_to_sources(dataset):
    text = str(panels.kpi_cards(dataset, Filters(), "zh"))
    assert "4.91亿元" in text and "15家" in text and "~1300亿元" in text
    assert "title='下限（不少于）'" in text  # the symbol says what it means on hover
    assert "2 项数据 · 1 份报道" in text
    assert "下限（超过）" in text and "目标，不是实绩" in text  # the legend of the symbols
    assert "'figure': 'chuzhou-2018-618-sales'" in text


def test_source_panel_highlights_the_quote(dataset):
    body = panels.source_panel(dataset, ViewState(figure="chuzhou-2018-618-sales", lang="en"))
    passage = body[2]
    assert passage.children[1].children == "截至本月25日，在滁相关企业在京东销售额已达到3.55亿元"
    assert passage.children[0].endswith("“食品、家电年中盛典滁州专场活动”。")
    assert "The text gives" in str(body[3])  # why the year is inferred, in English


def test_table_search_narrows_rows(dataset):
    answer = table.rows_response(dataset, ViewState(q="纺织"), {"startRow": 0, "endRow": 10})
    assert {r["id"] for r in answer["rowData"]} == {
        "binzhou-textile-cluster-output",
        "binzhou-13th-fyp-textile-target",
        "binzhou-2018-ecommerce-city-companies-signed",
    }
    assert answer["rowCount"] == 3


def test_table_sends_one_page_and_sorts_and_filters_on_the_server(synthetic_dataset):
    big = synthetic_dataset
    first = table.rows_response(big, ViewState(), {"startRow": 0, "endRow": 10})
    assert (len(first["rowData"]), first["rowCount"]) == (10, len(big.figures))
    by_value = table.rows_response(
        big,
        ViewState(metric=("campaign_sales",)),
        {"startRow": 0, "endRow": 10, "sortModel": [{"colId": "value", "sort": "desc"}]},
    )
    sales = big.figures[big.figures["metric"] == "campaign_sales"]
    assert by_value["rowData"][0]["id"] == sales.loc[sales["value"].idxmax(), "figure_id"]
    floor = float(sales["value"].median())
    filtered = table.rows_response(
        big,
        ViewState(metric=("campaign_sales",)),
        {
            "startRow": 0,
            "endRow": 10,
            "filterModel": {
                "value": {"filterType": "number", "type": "greaterThanOrEqual", "filter": floor}
            },
        },
    )
    assert filtered["rowCount"] == int((sales["value"] >= floor).sum())


def test_active_filter_line_in_both_languages(dataset):
    state = ViewState(city=("滁州",), industry=("家电",))
    assert panels.active_filters(dataset, state) == "当前筛选 · 城市：滁州；产业：家电"
    assert panels.active_filters(dataset, replace(state, lang="en")) == (
        "Current filters · City: Chuzhou; Industry: Home appliances"
    )
