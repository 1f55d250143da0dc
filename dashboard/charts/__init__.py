"""The page's charts, named once: each :class:`Chart` says its component id, how it is drawn,
and which dimensions a click on one of its marks filters by. The layout places them, the
callbacks draw them and read their clicks, the input checks accept their clicks, and the tests
go through them — all from :data:`CHARTS`.

Each chart takes the dataset, the filters and a language, asks :mod:`metrics` for the numbers,
and only draws them (:mod:`dashboard.charts.base` has what they share).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dashboard.charts.base import Figure
from dashboard.charts.companies import companies_by_city
from dashboard.charts.ranking import ranked_cities
from dashboard.charts.sales import sales_by_city_industry
from dashboard.charts.targets import targets_against_scale
from dashboard.charts.tiles import province_tiles
from dashboard.charts.timeline import event_timeline
from metrics import Dataset
from metrics.query import Filters


@dataclass(frozen=True)
class Chart:
    id: str  # the dcc.Graph's id
    draw: Callable[..., Figure]  # (dataset, filters, lang) or, with uses_metric, + metric
    # The dimensions a click on a mark filters by: its customdata starts with their keys.
    click: tuple[str, ...] = ()
    uses_metric: bool = False  # drawn for the metric chosen above the map
    wide: bool = False  # a whole row of the page on a wide screen

    def figure(self, dataset: Dataset, filters: Filters, lang: str, metric: str) -> Figure:
        if self.uses_metric:
            return self.draw(dataset, filters, lang, metric)
        return self.draw(dataset, filters, lang)


SALES = Chart("chart-sales", sales_by_city_industry, click=("city", "industry"), wide=True)
TARGETS = Chart("chart-targets", targets_against_scale)
COMPANIES = Chart("chart-companies", companies_by_city, click=("city",))
TILES = Chart("chart-map", province_tiles, click=("province",), uses_metric=True)
RANKING = Chart("chart-ranking", ranked_cities, click=("city",), uses_metric=True)
TIMELINE = Chart("chart-timeline", event_timeline, wide=True)

CHARTS: tuple[Chart, ...] = (SALES, TARGETS, COMPANIES, TILES, RANKING, TIMELINE)
"""Every chart of the page, in the order it shows them."""

BY_ID = {chart.id: chart for chart in CHARTS}


def draw_chart(
    dataset: Dataset, chart: str, filters: Filters, lang: str, map_metric: str
) -> Figure:
    """The figure of the chart whose component id is ``chart``."""
    return BY_ID[chart].figure(dataset, filters, lang, map_metric)
