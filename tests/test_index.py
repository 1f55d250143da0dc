"""The array index answers exactly what the pandas formulation of each query rule answers.

The references below are the rules written plainly in pandas (the way the app computed them
before the index existed); hypothesis draws filters over the bundled and a synthetic national
dataset and the two must agree figure for figure, sum for sum, qualifier for qualifier.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import Dataset
from metrics.index import IDS_KEPT, SEARCHED
from metrics.present import names
from metrics.query import Filters, aggregate, combine, select_figures
from metrics.table import TableQuery, table_page


def reference_mask(dataset: Dataset, filters: Filters) -> np.ndarray:
    view = dataset.figure_view
    mask = pd.Series(True, index=view.index)
    if filters.city:
        mask &= view["city"].astype(str).isin(filters.city)
    if filters.province:
        mask &= view["province"].astype(str).isin(filters.province)
    if filters.metric:
        mask &= view["metric"].astype(str).isin(filters.metric)
    if filters.industry:
        links = dataset.tables["figure_industries"]
        chosen = links.loc[links["industry"].astype(str).isin(filters.industry), "figure_id"]
        mask &= view["figure_id"].isin(chosen)
    if filters.campaign:
        events = dataset.tables["events"]
        parent = events["parent_event_id"].astype(str)
        wanted = events.loc[
            events["event_id"].astype(str).isin(filters.campaign) | parent.isin(filters.campaign),
            "event_id",
        ].astype(str)
        mask &= view["event_id"].astype(str).isin(wanted)
    if filters.period_start:
        mask &= view["period_end"] >= pd.Timestamp(filters.period_start)
    if filters.period_end:
        mask &= view["period_start"] <= pd.Timestamp(filters.period_end)
    return mask.to_numpy()


def filters_for(dataset: Dataset) -> st.SearchStrategy[Filters]:
    """Filters over the dataset's own keys, plus keys it does not have (they match nothing)."""

    def some(table: str, column: str) -> st.SearchStrategy[tuple[str, ...]]:
        keys = [*sorted(set(dataset.tables[table][column].astype(str))), "nowhere"]
        return st.lists(st.sampled_from(keys), max_size=3, unique=True).map(tuple)

    day = st.dates(date(2012, 1, 1), date(2027, 12, 31))
    return st.builds(
        Filters,
        city=some("cities", "city"),
        province=some("cities", "province"),
        industry=some("industries", "industry"),
        campaign=some("events", "event_id"),
        metric=some("metrics", "metric"),
        period_start=st.none() | day,
        period_end=st.none() | day,
    )


@pytest.fixture(scope="session", params=["bundled", "synthetic"])
def any_dataset(request, dataset, synthetic_dataset) -> Dataset:
    return dataset if request.param == "bundled" else synthetic_dataset


QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(data=st.data())
def test_the_index_selects_what_pandas_selects(any_dataset, data):
    filters = data.draw(filters_for(any_dataset))
    expected = reference_mask(any_dataset, filters)
    assert np.array_equal(any_dataset.figure_index.mask(filters), expected)
    assert list(select_figures(any_dataset, filters)["figure_id"]) == list(
        any_dataset.figure_view.loc[expected, "figure_id"]
    )


def reference_groups(dataset: Dataset, metric: str, filters: Filters) -> dict[str, pd.DataFrame]:
    """The aggregate's groupings, by pandas merge and group-by."""
    info = dataset.tables["metrics"].set_index("metric").loc[metric]
    additive = bool(info["additive"])
    only = Filters(**{**filters.__dict__, "metric": (metric,)})
    chosen = dataset.figure_view[reference_mask(dataset, only)]
    links = dataset.tables["figure_industries"].astype(str)
    exploded = chosen.drop(columns="industry").astype({"figure_id": str}).merge(links)
    exploded["shared"] = exploded["figure_id"].map(links["figure_id"].value_counts()) > 1
    if filters.industry:
        exploded = exploded[exploded["industry"].isin(filters.industry)]
    exploded = exploded.astype({"city": str})
    chosen = chosen.astype({"city": str, "figure_id": str})
    return {
        "cells": combine(exploded, ["city", "industry"], additive),
        "cell_parts": combine(exploded, ["city", "industry", "shared"], additive),
        "by_city": combine(chosen, ["city"], additive),
        "by_industry": combine(exploded, ["industry"], additive),
        "total": combine(chosen.assign(_all=0), ["_all"], additive).drop(columns="_all"),
    }


def same(ours: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(ours.columns) == list(expected.columns)
    assert len(ours) == len(expected)
    for column in ours.columns:
        left, right = ours[column].tolist(), expected[column].tolist()
        if column == "value":
            np.testing.assert_allclose(left, right, rtol=1e-12, equal_nan=True)
        elif column == "figure_ids":
            assert left == [ids[:IDS_KEPT] for ids in right]
        else:
            assert left == right, column


@QUICK
@given(data=st.data())
def test_aggregates_match_pandas_group_bys(any_dataset, data):
    filters = data.draw(filters_for(any_dataset))
    metric = data.draw(st.sampled_from(list(any_dataset.tables["metrics"]["metric"].astype(str))))
    result = aggregate(any_dataset, metric, filters)
    expected = reference_groups(any_dataset, metric, filters)
    for name in ("cells", "cell_parts", "by_city", "by_industry"):
        same(getattr(result, name), expected[name])
    if len(expected["total"]):
        same(result.total.to_frame().T.reset_index(drop=True), expected["total"])
    else:
        assert result.total["n_figures"] == 0


def test_a_group_keeps_its_first_ids_and_counts_all(synthetic_dataset):
    result = aggregate(synthetic_dataset, "industry_output", ids_kept=2)
    busiest = result.by_city.sort_values("n_figures").iloc[-1]
    assert busiest["n_figures"] > 2
    rows = synthetic_dataset.figure_view
    mine = rows[(rows["city"] == busiest["city"]) & (rows["metric"] == "industry_output")]
    assert busiest["figure_ids"] == tuple(mine["figure_id"].astype(str).iloc[:2])
    assert result.source_ids == tuple(
        sorted(set(rows.loc[rows["metric"] == "industry_output", "source_id"].astype(str)))
    )


def test_a_figure_is_found_by_its_id(dataset):
    index = dataset.figure_index
    assert index.position("chuzhou-2018-618-sales") == list(dataset.figures["figure_id"]).index(
        "chuzhou-2018-618-sales"
    )
    assert index.position("no-such-figure") is None


@pytest.mark.parametrize("column", ["city", "industry", "value", "period", "label", "quote"])
@pytest.mark.parametrize("descending", [False, True])
def test_table_pages_are_searched_and_sorted_as_pandas_would(synthetic_dataset, column, descending):
    """The table (page and command line) sorts by what the reader sees: names in English
    here, an industry by the first of its names."""
    dataset = synthetic_dataset
    filters = Filters(industry=(str(dataset.industries["industry"].iloc[0]),))
    query = TableQuery(search="亿", sort=column, descending=descending)
    page = table_page(dataset, filters, query, start=20, size=10, lang="en")

    view = dataset.figure_view[reference_mask(dataset, filters)]
    hit = np.zeros(len(view), dtype=bool)
    for name in SEARCHED:
        hit |= view[name].astype(str).str.contains("亿", regex=False).to_numpy()
    view = view[hit]
    if column == "city":
        key = view["city"].astype(str).map(names(dataset, "cities", "en"))
    elif column == "industry":
        english = names(dataset, "industries", "en")
        links = dataset.figure_industries.astype(str)
        first = links.assign(name=links["industry"].map(english)).groupby("figure_id")["name"].min()
        key = view["figure_id"].astype(str).map(first).fillna("\uffff")
    else:
        key = view[{"value": "value", "period": "period_start"}.get(column, "label_en")]
        key = key if column in ("value", "period") else key.astype(str)
    if column == "quote":
        key = view["quote"].astype(str)
    order = key.argsort(kind="stable").to_numpy()
    ordered = view["figure_id"].astype(str).to_numpy()[order[:: -1 if descending else 1]]
    assert page.total == len(view) > 30
    assert list(page.records["figure_id"]) == list(ordered[20:30])


def test_a_kept_mask_is_not_changed_by_what_a_caller_does_with_it(dataset):
    index, chuzhou = dataset.figure_index, Filters(city=("滁州",))
    expected = reference_mask(dataset, chuzhou)
    for filters in (chuzhou, Filters(city=("滁州",), metric=("campaign_sales",))):
        index.mask(filters)[:] = True
    assert np.array_equal(index.mask(chuzhou), expected)
