"""Query rules: filters combine; only like is added; shared figures count once; bounds stay."""

from __future__ import annotations

import math
from datetime import date

import pytest

from metrics import QueryError
from metrics.query import Filters, aggregate, resolve_filters, select_figures

FESTIVAL = "chuzhou-2018-appliance-festival-sales"
SALES_618 = "chuzhou-2018-618-sales"


def ids(frame) -> set[str]:
    return set(frame["figure_id"].astype(str))


def test_no_filter_selects_every_figure(dataset):
    assert len(select_figures(dataset, Filters())) == len(dataset.figures)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"city": ["滁州"]}, {"city": ("滁州",)}),
        ({"city": ["Chuzhou", "binzhou"]}, {"city": ("滁州", "滨州")}),
        ({"province": ["Shandong"]}, {"province": ("山东",)}),
        ({"industry": ["home appliances", "家电"]}, {"industry": ("家电",)}),
        ({"metric": ["活动销售额"]}, {"metric": ("campaign_sales",)}),
        ({"campaign": ["滁州智能家电节"]}, {"campaign": ("chuzhou-2018-appliance-festival",)}),
    ],
)
def test_filters_accept_chinese_english_and_ids(dataset, given, expected):
    filters = resolve_filters(dataset, **given)
    for key, value in expected.items():
        assert getattr(filters, key) == value


def test_unknown_filter_values_are_all_named_with_the_choices(dataset):
    with pytest.raises(QueryError) as caught:
        resolve_filters(dataset, city=["合肥", "滁州"], industry=["汽车"])
    message = str(caught.value)
    assert "city '合肥'" in message and "industry '汽车'" in message
    assert "滁州" in message and "纺织" in message


def test_bad_period_is_refused(dataset):
    with pytest.raises(QueryError, match="YYYY-MM-DD"):
        resolve_filters(dataset, period_start="June 2018")
    with pytest.raises(QueryError, match="after"):
        resolve_filters(dataset, period_start="2019-01-01", period_end="2018-01-01")


def test_filters_combine_with_and_and_multi_select_with_or(dataset):
    both = resolve_filters(dataset, city=["滁州", "滨州"], metric=["companies_signed"])
    assert ids(select_figures(dataset, both)) == {
        "chuzhou-2018-park-companies-signed",
        "binzhou-2018-ecommerce-city-companies-signed",
    }
    one = resolve_filters(dataset, city=["滁州"], metric=["companies_signed"])
    assert ids(select_figures(dataset, one)) == {"chuzhou-2018-park-companies-signed"}


def test_industry_filter_matches_any_of_a_figures_industries(dataset):
    food = select_figures(dataset, resolve_filters(dataset, industry=["食品"]))
    assert ids(food) == {SALES_618}
    appliances = select_figures(dataset, resolve_filters(dataset, industry=["家电"]))
    assert {FESTIVAL, SALES_618} <= ids(appliances)


def test_campaign_filter_includes_sub_events(dataset):
    conference = resolve_filters(dataset, campaign=["chuzhou-2018-digital-economy-conference"])
    assert ids(select_figures(dataset, conference)) == {"chuzhou-2018-park-companies-signed"}


def test_period_filter_keeps_figures_whose_period_overlaps(dataset):
    june = resolve_filters(dataset, period_start="2018-06-10", period_end="2018-06-30")
    selected = ids(select_figures(dataset, june))
    assert SALES_618 in selected and "chuzhou-2018-park-companies-signed" in selected
    assert FESTIVAL not in selected  # May only
    assert "binzhou-13th-fyp-textile-target" in selected  # 2016–2020 covers June 2018
    late = resolve_filters(dataset, period_start=date(2021, 1, 1))
    assert ids(select_figures(dataset, late)) == set()


def test_two_industry_figure_shows_under_each_industry_but_counts_once(dataset):
    result = aggregate(dataset, "campaign_sales")
    cells = result.cells.set_index(["city", "industry"])["value"]
    assert cells[("滁州", "食品")] == 355_000_000
    assert cells[("滁州", "家电")] == 135_720_000 + 355_000_000
    assert result.by_city.set_index("city").loc["滁州", "value"] == 490_720_000
    assert result.total["value"] == 490_720_000
    assert cells.sum() > result.total["value"]  # the naive sum would double-count 3.55亿
    assert result.total["n_figures"] == 2


def test_industry_filter_keeps_a_shared_figure_only_under_the_chosen_industry(dataset):
    result = aggregate(dataset, "campaign_sales", resolve_filters(dataset, industry=["食品"]))
    assert list(result.cells["industry"]) == ["食品"]
    assert result.total["value"] == 355_000_000


def test_lower_bounds_stay_marked_in_sums(dataset):
    result = aggregate(dataset, "companies_signed")
    assert result.total["value"] == 15
    assert result.total["qualifier"] == "at_least"  # 10 + at least 5
    by_city = result.by_city.set_index("city")
    assert by_city.loc["滁州", "qualifier"] == "exact"
    assert by_city.loc["滨州", "qualifier"] == "at_least"


def test_non_additive_metrics_are_never_summed(dataset):
    output = aggregate(dataset, "industry_output")
    assert not output.additive
    assert output.total["value"] == 100_000_000_000  # one figure: shown, not summed
    assert output.total["qualifier"] == "more_than"
    # Two figures of a non-additive metric in one group have no total at all.
    participating = aggregate(dataset, "companies_participating")
    assert participating.total["n_figures"] == 1


def test_targets_are_marked_and_never_mixed_with_achievements(dataset):
    target = aggregate(dataset, "output_target")
    assert target.is_target
    assert target.total["qualifier"] == "approx"
    output = aggregate(dataset, "industry_output")
    assert not output.is_target
    assert set(target.cells["figure_ids"].explode()).isdisjoint(
        set(output.cells["figure_ids"].explode())
    )


def test_aggregate_ignores_a_metric_filter_for_another_metric(dataset):
    filters = resolve_filters(dataset, metric=["companies_signed"])
    assert aggregate(dataset, "campaign_sales", filters).total["value"] == 490_720_000


def test_aggregate_of_nothing_is_zero_for_additive_and_missing_otherwise(dataset):
    nothing = resolve_filters(dataset, city=["滨州"])
    assert aggregate(dataset, "campaign_sales", nothing).total["value"] == 0
    assert aggregate(dataset, "campaign_sales", nothing).cells.empty
    empty_target = aggregate(dataset, "output_target", resolve_filters(dataset, city=["滁州"]))
    assert math.isnan(empty_target.total["value"])


def test_unknown_metric_is_refused(dataset):
    with pytest.raises(QueryError, match="unknown metric"):
        aggregate(dataset, "gdp")


def test_two_figures_of_a_non_additive_metric_have_no_total(data_copy):
    import metrics

    from .conftest import read_rows, write_rows

    figures = read_rows(data_copy / "figures.csv")
    restated = dict(
        figures[4],
        figure_id="binzhou-textile-cluster-output-restated",
        quote="也提升出千亿级产业集群发展的新优势",
        raw="千亿级",
        qualifier="approx",
    )
    write_rows(data_copy / "figures.csv", [*figures, restated])
    links = read_rows(data_copy / "figure_industries.csv")
    write_rows(
        data_copy / "figure_industries.csv",
        [*links, {"figure_id": restated["figure_id"], "industry": "纺织"}],
    )
    dataset = metrics.load(data_copy)
    result = aggregate(dataset, "industry_output")
    assert result.total["n_figures"] == 2
    assert math.isnan(result.total["value"])
    assert math.isnan(result.cells.set_index(["city", "industry"]).loc[("滨州", "纺织"), "value"])


@pytest.mark.parametrize(
    ("qualifiers", "expected", "approximate"),
    [
        (["exact", "exact"], "exact", False),
        (["exact", "approx"], "approx", False),
        (["exact", "at_least"], "at_least", False),
        (["at_least", "more_than"], "more_than", False),
        (["approx", "at_least"], "at_least", True),
        (["approx", "more_than", "exact"], "more_than", True),
    ],
)
def test_sum_qualifier_is_as_weak_as_its_weakest_part(qualifiers, expected, approximate):
    import pandas as pd

    from metrics.query import combine

    parts = pd.DataFrame(
        {
            "city": "滁州",
            "figure_id": [f"f{i}" for i in range(len(qualifiers))],
            "value": 1.0,
            "qualifier": qualifiers,
        }
    )
    row = combine(parts, ["city"], additive=True).iloc[0]
    assert (row["value"], row["qualifier"], row["approximate"]) == (
        len(qualifiers),
        expected,
        approximate,
    )


def test_a_report_filter_keeps_its_figures_and_its_events(dataset):
    from metrics.facts import timeline
    from metrics.query import resolve_filters, select_figures

    filters = resolve_filters(dataset, source=["“2018年首届鲁纺产业节”启动"])  # by its title
    assert filters.source == ("003_fea83e67b8f794f4",)
    assert set(select_figures(dataset, filters)["source_id"]) == {"003_fea83e67b8f794f4"}
    assert len(select_figures(dataset, filters)) == 3
    assert set(timeline(dataset, filters)["source_id"]) == {"003_fea83e67b8f794f4"}


def test_quantile_classes_merge_equal_quantiles_and_keep_no_value_apart():
    import numpy as np

    from metrics.facts import quantile_classes

    classes, edges = quantile_classes(np.array([1.0, 2.0, 3.0, 4.0, 5.0, np.nan]), 5)
    assert list(edges) == pytest.approx([1.0, 1.8, 2.6, 3.4, 4.2, 5.0])
    assert list(classes) == [0, 1, 2, 3, 4, 0]
    classes, edges = quantile_classes(np.array([7.0, 7.0, np.nan]), 5)
    assert list(edges) == [7.0, 7.0] and list(classes) == [0, 0, 0]
    assert len(quantile_classes(np.array([np.nan]), 5)[1]) == 0
