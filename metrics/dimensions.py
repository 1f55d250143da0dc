"""The dimensions a reader filters by, named once.

The URL (``?city=滁州``), the page's filters, :class:`metrics.query.Filters`, the command line's
options (``--city``) and the workbook's description of a view all list the same dimensions, in
the same order, under the same names; each reads them from :data:`DIMENSIONS`. A dimension's
values are the keys of a reference table (Chinese city and industry names, ids of metrics,
campaigns and reports), labelled in Chinese or English from that table's columns, and typed by
a user as a key or either name, in any case.

The period is a dimension too, but of dates, not keys: :data:`PERIOD` names it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dimension:
    name: str  # in Filters, the URL, the page's filter ids (f-city), the CLI (--city)
    table: str  # the name its values are listed under (names(dataset, table, lang))
    frame: str  # the dataset table holding them
    key: str  # the column of keys
    chinese: str  # the column of Chinese labels (the key itself where keys are Chinese)
    english: str  # the column of English labels
    help: str  # for the command line: what a value looks like

    @property
    def aliases(self) -> tuple[str, ...]:
        """The columns whose values also name a key, as a user may type them."""
        return tuple(dict.fromkeys(c for c in (self.chinese, self.english) if c != self.key))


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(
        "province", "provinces", "cities", "province", "province", "province_en", "安徽, Anhui"
    ),
    Dimension("city", "cities", "cities", "city", "city", "name_en", "滁州, Chuzhou"),
    Dimension(
        "industry",
        "industries",
        "industries",
        "industry",
        "industry",
        "name_en",
        "家电, home appliances",
    ),
    Dimension(
        "metric", "metrics", "metrics", "metric", "name_zh", "name_en", "campaign_sales, 活动销售额"
    ),
    Dimension(
        "campaign",
        "events",
        "events",
        "event_id",
        "name_zh",
        "name_en",
        "a campaign or event id or name; includes its sub-events",
    ),
    Dimension(
        "source",
        "sources",
        "sources",
        "source_id",
        "title_zh",
        "title_en",
        "a report's id or title",
    ),
)
"""The filter dimensions, in the order the page shows them."""

BY_NAME = {d.name: d for d in DIMENSIONS}
BY_TABLE = {d.table: d for d in DIMENSIONS}
NAMES = tuple(BY_NAME)

PERIOD = "period"
"""The dimension of dates: ``from``/``to`` in the URL and ``--from``/``--to`` on the command
line, ``period_start``/``period_end`` in :class:`~metrics.query.Filters`."""
