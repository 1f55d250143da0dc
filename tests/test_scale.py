"""At national scale each chart draws what a person can read and says in words what it left out;
the totals on the cards still count everything."""

from __future__ import annotations

import json
import re

import pandas as pd
import plotly.graph_objects as go
import pytest

from app import create_app
from dashboard import charts, panels
from dashboard.charts import ranking, sales
from dashboard.charts import targets as targets_chart
from dashboard.charts.base import alt_text
from dashboard.layout import options
from metrics.facts import targets_vs_scale, timeline, unnamed_company_counts
from metrics.query import Filters, aggregate


def notes(fig) -> str:
    """What a chart says in words (its title block and any note on the plot), without markup
    and without the line breaks that wrap it: a phrase is found whole wherever it wrapped."""
    text = " ".join([fig.layout.title.text or "", *(a.text for a in fig.layout.annotations)])
    return re.sub(r"<[^>]+>|\s", "", text)


def said(fig, words: str) -> bool:
    return re.sub(r"\s", "", words) in notes(fig)


def test_sales_chart_draws_the_largest_cities_and_industries_and_says_so(synthetic_dataset):
    result = aggregate(synthetic_dataset, "campaign_sales")
    assert len(result.by_city) > sales.CITIES_SHOWN
    assert len(result.by_industry) > sales.INDUSTRIES_SHOWN
    fig = go.Figure(charts.sales_by_city_industry(synthetic_dataset, Filters(), "en"))
    drawn_cities = {x for trace in fig.data for x in trace.x}
    drawn_industries = {trace.offsetgroup for trace in fig.data}
    assert len(drawn_cities) == sales.CITIES_SHOWN
    assert len(drawn_industries) == sales.INDUSTRIES_SHOWN
    top = result.by_city.sort_values("value", ascending=False).iloc[0]
    names = synthetic_dataset.cities.set_index("city")["name_en"]
    assert names[top["city"]] in drawn_cities  # the largest city is never the one left out
    assert said(
        fig,
        f"Showing the {sales.CITIES_SHOWN} of {len(result.by_city)} cities, "
        f"{sales.INDUSTRIES_SHOWN} of {len(result.by_industry)} industries with the most sales",
    )


def test_the_industries_a_chart_draws_have_colours_of_their_own(synthetic_dataset):
    """Thirty industries share the palette's eight colours: the eight drawn get eight."""
    fig = go.Figure(charts.sales_by_city_industry(synthetic_dataset, Filters(), "en"))
    colour = {trace.offsetgroup: trace.marker.color for trace in fig.data}
    assert len(colour) == sales.INDUSTRIES_SHOWN == len(set(colour.values()))


def test_a_companies_chart_without_named_companies_says_where_the_counts_are(synthetic_dataset):
    """Synthetic reports count companies but name none: the chart must not say that nothing
    matches while the cards count them."""
    fig = go.Figure(charts.companies_by_city(synthetic_dataset, Filters(), "zh"))
    assert not said(fig, "没有符合筛选条件的数据")
    assert said(fig, "这些报道只给出企业数，未列出企业名单")
    counted = unnamed_company_counts(synthetic_dataset, Filters())
    assert counted > 0 and said(fig, f"共 {counted} 项数据")
    assert f"共 {counted} 项数据" in alt_text(fig)
    only_sales = Filters(metric=("campaign_sales",))
    assert said(
        go.Figure(charts.companies_by_city(synthetic_dataset, only_sales, "zh")), "没有符合"
    )


def test_only_what_was_left_out_is_named(synthetic_dataset):
    city = str(synthetic_dataset.figures["city"].iloc[0])
    one_city = go.Figure(
        charts.sales_by_city_industry(synthetic_dataset, Filters(city=(city,)), "zh")
    )
    assert said(one_city, "个产业；")
    assert "个城市" not in notes(one_city)
    industries = tuple(synthetic_dataset.industries["industry"].astype(str)[:3])
    small = Filters(city=(city,), industry=industries)
    assert "仅显示" not in notes(
        go.Figure(charts.sales_by_city_industry(synthetic_dataset, small, "zh"))
    )


def test_timeline_shows_the_latest_events_and_counts_the_rest(synthetic_dataset, monkeypatch):
    monkeypatch.setattr(charts.timeline, "EVENTS_SHOWN", 10)
    events = timeline(synthetic_dataset, Filters())
    fig = go.Figure(charts.event_timeline(synthetic_dataset, Filters(), "zh"))
    shown = [x for trace in fig.data if trace.mode == "markers" for x in trace.x]
    assert len(shown) == 10
    assert min(shown) >= events["start"].sort_values().iloc[-10]
    assert said(fig, f"仅显示最近的 10/{len(events)} 项活动")


def test_targets_chart_keeps_the_largest_targets(synthetic_dataset):
    fig = go.Figure(charts.targets_against_scale(synthetic_dataset, Filters(), "en"))
    rows = {y for trace in fig.data for y in trace.y}
    assert len(rows) == targets_chart.TARGET_PAIRS_SHOWN
    assert said(fig, "city · industry pairs with the largest targets")
    drawn = {row[0] for trace in fig.data for row in trace.customdata}
    figures = synthetic_dataset.figures
    targets = figures[figures["metric"] == "output_target"]
    assert str(targets.loc[targets["value"].idxmax(), "figure_id"]) in drawn


def test_each_side_of_a_target_pair_draws_its_latest_figure_and_counts_the_rest(
    synthetic_dataset,
):
    every, _, _ = targets_vs_scale(synthetic_dataset, Filters(), targets_chart.TARGET_PAIRS_SHOWN)
    latest, _, earlier = targets_vs_scale(
        synthetic_dataset, Filters(), targets_chart.TARGET_PAIRS_SHOWN, latest=True
    )
    slots = ["city", "industry", "side"]
    assert not latest.duplicated(slots).any()
    assert earlier == len(every) - len(latest) > 0  # one bar per side, not many on top
    ends = synthetic_dataset.figures.set_index("figure_id")["period_end"]
    newest = every.assign(end=every["figure_id"].map(ends)).groupby(slots)["end"].max()
    drawn = latest.assign(end=latest["figure_id"].map(ends)).set_index(slots)["end"]
    assert drawn.sort_index().equals(newest.sort_index())
    fig = go.Figure(charts.targets_against_scale(synthetic_dataset, Filters(), "en"))
    assert said(fig, f"{earlier} earlier figures are in the table")


def test_cards_count_every_figure_while_linking_a_few(synthetic_dataset):
    result = aggregate(synthetic_dataset, "campaign_sales")
    text = str(panels.kpi_cards(synthetic_dataset, Filters(), "zh"))
    more = int(result.total["n_figures"]) - panels.LINKS_SHOWN
    assert f"{int(result.total['n_figures'])} 项数据 · {len(result.source_ids)} 份报道" in text
    assert f"另有 {more} 项" in text
    assert aggregate(synthetic_dataset, "companies_signed").total["n_figures"] > panels.LINKS_SHOWN
    links = 2 * panels.LINKS_SHOWN + panels.TARGETS_SHOWN  # sales, companies signed, targets
    assert text.count("'type': 'figure-link'") == links


# The synthetic reports name no companies: the companies chart is empty at this scale.
@pytest.mark.parametrize("chart", [c.id for c in charts.CHARTS if c.id != "chart-companies"])
def test_a_chart_names_how_many_reports_it_draws_from(synthetic_dataset, chart):
    fig = go.Figure(charts.draw_chart(synthetic_dataset, chart, Filters(), "zh", "campaign_sales"))
    assert "份报道" in notes(fig)


def test_a_long_option_list_is_searched_on_the_server(synthetic_dataset):
    events = synthetic_dataset.events
    first, last = str(events["event_id"].iloc[0]), str(events["event_id"].iloc[-1])
    shown = options(synthetic_dataset, "campaign", "zh", limit=5, chosen=(last,))
    assert [o["value"] for o in shown] == [*events["event_id"].astype(str)[:5], last]
    city = str(events["city"].iloc[-1])
    found = options(synthetic_dataset, "campaign", "en", search=last.upper(), limit=5)
    assert [o["value"] for o in found] == [last]
    by_name = options(synthetic_dataset, "campaign", "zh", search=city, limit=5)
    assert {o["value"] for o in by_name} == set(events.loc[events["city"] == city, "event_id"])
    assert len(options(synthetic_dataset, "campaign", "zh")) == len(events)  # no limit: all
    assert first in {o["value"] for o in shown}


def test_the_page_sends_a_few_campaigns_and_finds_the_rest_as_one_types(synthetic, monkeypatch):
    from dashboard import callbacks, layout

    monkeypatch.setattr(layout, "OPTIONS_SHOWN", 5)
    monkeypatch.setattr(callbacks, "OPTIONS_SHOWN", 5)
    app = create_app(str(synthetic))
    client = app.server.test_client()
    page = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert page.count('"value": "e') == 5  # the campaign dropdown's first options, not all 30
    dependencies = client.get("/_dash-dependencies").get_json()
    search = next(d for d in dependencies if d["output"].startswith("f-campaign.options@"))
    events = pd.read_csv(synthetic / "events.csv", dtype=str)
    wanted = events["event_id"].iloc[-1]
    body = {
        "output": search["output"],
        "outputs": {"id": "f-campaign", "property": search["output"].split(".", 1)[1]},
        "inputs": [{"id": "f-campaign", "property": "search_value", "value": wanted}],
        "state": [
            {"id": "f-campaign", "property": "value", "value": []},
            {"id": "state", "property": "data", "value": {"lang": "zh"}},
        ],
        "changedPropIds": ["f-campaign.search_value"],
    }
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.data[:300]
    found = answer.get_json()["response"]["f-campaign"]["options"]
    assert found == [{"label": events["name_zh"].iloc[-1], "value": wanted}]


def test_a_national_ranking_draws_the_top_cities_and_says_how_many_there_are(synthetic_dataset):
    result = aggregate(synthetic_dataset, "campaign_sales")
    fig = go.Figure(
        charts.draw_chart(synthetic_dataset, "chart-ranking", Filters(), "en", "campaign_sales")
    )
    drawn = [str(row[0]) for trace in fig.data for row in trace.customdata]
    assert len(drawn) == ranking.CITIES_RANKED < len(result.by_city)
    valued = result.by_city.dropna(subset=["value"])
    top = valued.sort_values(["value", "city"], ascending=[False, True])["city"]
    assert drawn == list(top.head(ranking.CITIES_RANKED).astype(str))
    assert said(fig, f"Only the top {ranking.CITIES_RANKED} of {len(valued)} cities")


def test_a_national_tile_map_has_34_tiles_whatever_the_scale(synthetic_dataset):
    fig = go.Figure(
        charts.draw_chart(synthetic_dataset, "chart-map", Filters(), "zh", "campaign_sales")
    )
    assert sum(len(trace.x) for trace in fig.data) == 34
