"""At national scale each chart draws what a person can read and says in words what it left out;
the totals on the cards still count everything."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from app import create_app
from dashboard import charts, panels
from dashboard.layout import options
from metrics.facts import timeline
from metrics.query import Filters, aggregate


def notes(fig) -> str:
    return " ".join(a.text for a in fig.layout.annotations)


def test_sales_chart_draws_the_largest_cities_and_industries_and_says_so(synthetic_dataset):
    result = aggregate(synthetic_dataset, "campaign_sales")
    assert len(result.by_city) > charts.CITIES_SHOWN
    assert len(result.by_industry) > charts.INDUSTRIES_SHOWN
    fig = charts.sales_by_city_industry(synthetic_dataset, Filters(), "en")
    drawn_cities = {x for trace in fig.data for x in trace.x}
    drawn_industries = {trace.legendgroup for trace in fig.data}
    assert len(drawn_cities) == charts.CITIES_SHOWN
    assert len(drawn_industries) == charts.INDUSTRIES_SHOWN
    top = result.by_city.sort_values("value", ascending=False).iloc[0]
    names = synthetic_dataset.cities.set_index("city")["name_en"]
    assert names[top["city"]] in drawn_cities  # the largest city is never the one left out
    assert (
        f"Showing the {charts.CITIES_SHOWN} of {len(result.by_city)} cities, "
        f"{charts.INDUSTRIES_SHOWN} of {len(result.by_industry)} industries with the most sales"
    ) in notes(fig)


def test_only_what_was_left_out_is_named(synthetic_dataset):
    city = str(synthetic_dataset.figures["city"].iloc[0])
    one_city = charts.sales_by_city_industry(synthetic_dataset, Filters(city=(city,)), "zh")
    assert "个产业；" in notes(one_city)
    assert "个城市" not in notes(one_city)
    industries = tuple(synthetic_dataset.industries["industry"].astype(str)[:3])
    small = Filters(city=(city,), industry=industries)
    assert "仅显示" not in notes(charts.sales_by_city_industry(synthetic_dataset, small, "zh"))


def test_timeline_shows_the_latest_events_and_counts_the_rest(synthetic_dataset, monkeypatch):
    monkeypatch.setattr(charts, "EVENTS_SHOWN", 10)
    events = timeline(synthetic_dataset, Filters())
    fig = charts.event_timeline(synthetic_dataset, Filters(), "zh")
    shown = [x for trace in fig.data if trace.mode == "markers" for x in trace.x]
    assert len(shown) == 10
    assert min(shown) >= events["start"].sort_values().iloc[-10]
    assert f"仅显示最近的 10/{len(events)} 项活动" in notes(fig)


def test_targets_chart_keeps_the_largest_targets(synthetic_dataset):
    fig = charts.targets_against_scale(synthetic_dataset, Filters(), "en")
    rows = {y for trace in fig.data for y in trace.y}
    assert len(rows) == charts.TARGET_PAIRS_SHOWN
    assert "city · industry pairs with the largest targets" in notes(fig)
    drawn = {row[0] for trace in fig.data for row in trace.customdata}
    figures = synthetic_dataset.figures
    targets = figures[figures["metric"] == "output_target"]
    assert str(targets.loc[targets["value"].idxmax(), "figure_id"]) in drawn


def test_cards_count_every_figure_while_linking_a_few(synthetic_dataset):
    result = aggregate(synthetic_dataset, "campaign_sales")
    text = str(panels.kpi_cards(synthetic_dataset, Filters(), "zh"))
    more = int(result.total["n_figures"]) - panels.LINKS_SHOWN
    assert f"{int(result.total['n_figures'])}项数据" in text
    assert f"另有 {more} 项" in text
    assert aggregate(synthetic_dataset, "companies_signed").total["n_figures"] > panels.LINKS_SHOWN
    links = 2 * panels.LINKS_SHOWN + panels.TARGETS_SHOWN  # sales, companies signed, targets
    assert text.count("'type': 'figure-link'") == links


@pytest.mark.parametrize("chart", ["chart-sales", "chart-targets", "chart-map"])
def test_a_chart_names_how_many_reports_it_draws_from(synthetic_dataset, chart):
    from dashboard.charts import draw_chart

    fig = draw_chart(synthetic_dataset, chart, Filters(), "zh", "campaign_sales")
    assert "份报道" in notes(fig)


def test_a_long_option_list_is_searched_on_the_server(synthetic_dataset):
    events = synthetic_dataset.events
    first, last = str(events["event_id"].iloc[0]), str(events["event_id"].iloc[-1])
    shown = options(synthetic_dataset, "events", "zh", limit=5, chosen=(last,))
    assert [o["value"] for o in shown] == [*events["event_id"].astype(str)[:5], last]
    city = str(events["city"].iloc[-1])
    found = options(synthetic_dataset, "events", "en", search=last.upper(), limit=5)
    assert [o["value"] for o in found] == [last]
    by_name = options(synthetic_dataset, "events", "zh", search=city, limit=5)
    assert {o["value"] for o in by_name} == set(events.loc[events["city"] == city, "event_id"])
    assert len(options(synthetic_dataset, "events", "zh")) == len(events)  # no limit: all
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


def test_a_national_map_puts_values_on_hover_instead_of_hundreds_of_labels(synthetic_dataset):
    national = charts.city_map(synthetic_dataset, Filters(), "campaign_sales", "en")
    assert national.data[0].mode == "markers" and len(national.data[0].x) == 338
    assert "338 cities: values on hover" in notes(national)
    province = str(synthetic_dataset.cities["province"].iloc[0])
    one = charts.city_map(synthetic_dataset, Filters(province=(province,)), "campaign_sales", "en")
    assert one.data[0].mode == "markers+text"
