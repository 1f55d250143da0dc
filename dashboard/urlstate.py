"""The whole view in the URL query string, so a copied link reproduces it.

``?city=滁州,滨州&industry=家电&lang=en``: lists are comma-separated or repeated; names may be
Chinese or English. Anything unknown or malformed falls back to the default and produces a
notice for the page to show — never an error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from metrics import Dataset
from metrics.dimensions import NAMES
from metrics.present import LANGS
from metrics.query import Filters, resolve_values

DEFAULT_MAP_METRIC = "campaign_sales"
MAX_QUERY_LENGTH = 4000  # longer than any real view; beyond it the query is not even parsed
MAX_VALUES = 50  # per parameter: more values than any dimension of a real dataset offers
# A selection made on the page (a dropdown's values, the stored view) holds at most this many
# values of one dimension: more than any dimension offers (338 cities at national scale), so
# only a forged request reaches it.
MAX_SELECTED = 1000
MAX_TEXT = 200  # a figure id, a metric id, the table's search text
_LISTS = NAMES
_KNOWN = (*_LISTS, "lang", "from", "to", "figure", "map", "q")


@dataclass(frozen=True)
class ViewState:
    """Everything the page shows depends on this and nothing else."""

    lang: str = "zh"
    province: tuple[str, ...] = ()
    city: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    metric: tuple[str, ...] = ()
    campaign: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    start: str = ""  # YYYY-MM-DD or ""
    end: str = ""
    figure: str = ""  # the figure whose source passage is open
    map_metric: str = DEFAULT_MAP_METRIC
    q: str = ""  # table search text

    def filters(self) -> Filters:
        return Filters(
            city=self.city,
            province=self.province,
            industry=self.industry,
            campaign=self.campaign,
            metric=self.metric,
            source=self.source,
            period_start=date.fromisoformat(self.start) if self.start else None,
            period_end=date.fromisoformat(self.end) if self.end else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> ViewState:
        """The view the page stored with :meth:`to_dict`.

        The stored data comes back from the browser, so it is read defensively: a field of the
        wrong type or size falls back to its default, a list keeps only its strings, and a date
        must be a real one; never an exception. See :func:`is_state_data` to tell whether
        anything had to be dropped.
        """
        if not isinstance(data, dict):
            return cls()
        default = cls()
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in _LISTS and isinstance(value, list | tuple) and len(value) <= MAX_SELECTED:
                values[name] = tuple(v for v in value if isinstance(v, str) and len(v) <= MAX_TEXT)
            elif name in ("start", "end") and isinstance(value, str):
                values[name] = value if _parse_date(value, end=False) == value else ""
            elif isinstance(value, str) and (
                (name == "lang" and value in LANGS) or (name in _TEXTS and len(value) <= MAX_TEXT)
            ):
                values[name] = value
        return replace(default, **values)


_FIELDS = {f for f in ViewState.__dataclass_fields__}
_TEXTS = ("figure", "map_metric", "q")


def is_state_data(data: object) -> bool:
    """Whether ``data`` is a view exactly as :meth:`ViewState.to_dict` stores it in the page.

    Fields may be missing (they take their defaults) but none may be unknown, mistyped or
    oversized: :meth:`ViewState.from_dict` reads ``data`` back without dropping anything.
    """
    if not isinstance(data, dict) or not set(data) <= _FIELDS:
        return False
    read = ViewState.from_dict(data).to_dict()
    return all(
        type(value) in (str, list)  # JSON gives lists; a number or bool is not a state field
        and (list(read[name]) if name in _LISTS else read[name]) == value
        for name, value in data.items()
    )


@dataclass
class Notice:
    """One thing in the URL that was ignored: an i18n key and its placeholder values."""

    key: str
    values: dict[str, str] = field(default_factory=dict)


def parse_query(dataset: Dataset, search: str | None) -> tuple[ViewState, list[Notice]]:
    """The view a query string asks for, and a notice for everything that was ignored."""
    search = (search if isinstance(search, str) else "").removeprefix("?")
    if len(search) > MAX_QUERY_LENGTH:
        return ViewState(), [Notice("notice_too_long", {"length": str(len(search))})]
    params = parse_qs(search, keep_blank_values=True)
    notices: list[Notice] = []
    values: dict[str, Any] = {}
    lang = _last(params.get("lang"))
    if lang in LANGS:
        values["lang"] = lang
    elif lang:
        notices.append(Notice("notice_bad_lang", {"value": lang[:40]}))
    for name in params:
        if name not in _KNOWN:
            notices.append(Notice("notice_unknown_param", {"name": name[:40]}))
    for name in _LISTS:
        items = [v.strip() for raw in params.get(name, []) for v in raw.split(",") if v.strip()]
        if len(items) > MAX_VALUES:
            notices.append(Notice("notice_too_many", {"name": name, "limit": str(MAX_VALUES)}))
            items = items[:MAX_VALUES]
        keys, unknown = resolve_values(dataset, name, items)
        values[name] = keys
        notices += [
            Notice("notice_unknown_value", {"dimension": name, "value": u[:40]}) for u in unknown
        ]
    for name, attr in (("from", "start"), ("to", "end")):
        raw = _last(params.get(name))
        if raw:
            parsed = _parse_date(raw, end=name == "to")
            if parsed is None:
                notices.append(Notice("notice_bad_date", {"name": name, "value": raw[:40]}))
            else:
                values[attr] = parsed
    if values.get("start") and values.get("end") and values["start"] > values["end"]:
        notices.append(Notice("notice_period_order"))
        values.pop("start"), values.pop("end")
    figure = _last(params.get("figure"))
    if figure:
        if dataset.figure_index.position(figure) is not None:
            values["figure"] = figure
        else:
            notices.append(Notice("notice_bad_figure", {"value": figure[:80]}))
    map_metric = _last(params.get("map"))
    if map_metric:
        keys, unknown = resolve_values(dataset, "metric", [map_metric])
        if keys:
            values["map_metric"] = keys[0]
        else:
            notices.append(
                Notice("notice_unknown_value", {"dimension": "map", "value": unknown[0][:40]})
            )
    values["q"] = (_last(params.get("q")) or "")[:200]
    unique: list[Notice] = []
    for notice in notices:  # ?city=x,x,x names the same problem once
        if notice not in unique:
            unique.append(notice)
    return ViewState(**values), unique


def to_query(state: ViewState) -> str:
    """The canonical query string of a view: only what differs from the default, fixed order."""
    default = ViewState()
    pairs: list[tuple[str, str]] = []
    for name in _LISTS:
        if getattr(state, name):
            pairs.append((name, ",".join(getattr(state, name))))
    for name, attr in (
        ("from", "start"),
        ("to", "end"),
        ("figure", "figure"),
        ("map", "map_metric"),
        ("q", "q"),
    ):
        if getattr(state, attr) != getattr(default, attr):
            pairs.append((name, getattr(state, attr)))
    if state.lang != default.lang:
        pairs.append(("lang", state.lang))
    return "?" + urlencode(pairs, quote_via=quote, safe=",") if pairs else ""


def with_lang(state: ViewState, lang: str) -> ViewState:
    return replace(state, lang=lang if lang in LANGS else "zh")


def _last(values: list[str] | None) -> str:
    return values[-1].strip() if values else ""


def _parse_date(raw: str, *, end: bool) -> str | None:
    """YYYY (the whole year: 1 January, or 31 December for an end) or YYYY-MM-DD."""
    try:
        if len(raw) == 4 and raw.isdigit():
            return date(int(raw), 12, 31).isoformat() if end else date(int(raw), 1, 1).isoformat()
        return date.fromisoformat(raw).isoformat() if len(raw) == 10 else None
    except ValueError:
        return None
