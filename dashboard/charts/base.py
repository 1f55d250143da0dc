"""What every chart shares: fonts and colours, and the block of text above the plot.

Honesty is visual: lower bounds are hatched, approximations dotted, targets drawn as a grid, and
every value label carries the qualifier (≥, >, ~) and the target mark. Colours are the
Okabe–Ito palette, distinguishable with the common colour-vision deficiencies
(https://jfly.uni-koeln.de/color/).

Text never collides: everything a chart says besides its marks and axes — the title, the legend,
notes, the reports its numbers come from — is one block above the plot, wrapped to the
narrowest width a chart is drawn at (a phone), and Plotly moves the plot down to make room for
it (``title.automargin``). A saved PNG still says where its numbers come from. Plotly's own
legend is not used: above or below the plot it would claim the same margin as the title or the
axis labels and be drawn over them. Value labels go inside the bars and are hidden where they
do not fit (``uniformtext``): what cannot be labelled is on hover.

A screen reader cannot read a chart, so each says what it shows in one sentence with its main
numbers (:func:`alt_text`), the page's caption of the chart.

A chart is Plotly's JSON, built as plain data (:data:`Figure`), not as graph objects: checking
every property of every trace as it is set cost more than the query at national scale, and
serialising graph objects again as much. The tests build each chart as a ``go.Figure``, which
checks every property once. Traces get numpy arrays, not pandas Series, which Plotly would
inspect through narwhals.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dashboard.i18n import t
from metrics import Dataset

Figure = dict[str, Any]
"""A chart as Plotly reads it: ``{"data": [trace, ...], "layout": {...}}``."""

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, WenQuanYi Micro Hei, system-ui, sans-serif"
INK, MUTED, GRID = "#1f2933", "#52606d", "#e4e7eb"
PATTERNS = {"exact": "", "approx": ".", "at_least": "/", "more_than": "/"}
TARGET_PATTERN = "+"
TITLE_SIZE, TEXT_SIZE, NOTE_SIZE, EMPTY_SIZE = 16, 13, 11, 15
MIN_LABEL_SIZE = 10  # a value label that would be smaller than this is left to the hover

# The width the text block is wrapped to: a chart's width on a 390 px phone, less margins.
# Wider charts wrap earlier than they must, never later.
WRAP_PX = 300
SOURCES_NAMED = 3
IDS_SHOWN = 3  # a hover names a few figures; at national scale a bar may hold thousands
ALT_ITEMS = 3  # the marks a chart's text alternative reads out; it says how many there are


def escape(text: object) -> str:
    """Data as Plotly text: its markup (``<br>``, ``<b>``) must not be taken from a report."""
    return html.escape(str(text), quote=False)


def text_width(text: str, size: float) -> float:
    """The width of ``text`` in px at font ``size``, erring wide: a CJK or full-width character
    is one em, anything else 0.6 em (the widest Latin letters are about that)."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 0.6 * size for c in text)


def wrap(text: str, size: float, width: float = WRAP_PX) -> list[str]:
    """``text`` in lines no wider than ``width``: broken at spaces in English, anywhere in
    Chinese (where a line may break between any two characters)."""
    lines: list[str] = []
    line = ""
    for word in _breakable(text):
        if line and text_width(line + word, size) > width:
            lines.append(line.rstrip())
            line = word.lstrip()
        else:
            line += word
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _breakable(text: str) -> list[str]:
    """``text`` as the pieces a line may break between: a CJK character, or a Latin word with
    the space before it."""
    pieces: list[str] = []
    for c in text:
        wide = unicodedata.east_asian_width(c) in "WF"
        if wide or not pieces or c == " " or unicodedata.east_asian_width(pieces[-1][-1]) in "WF":
            pieces.append(c)
        else:
            pieces[-1] += c
    return pieces


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def category_labels(labels: dict[str, str], limit: int) -> dict[str, str]:
    """Axis labels for categories, shortened to ``limit`` characters (the whole name is on
    hover) unless two would then read the same: a category axis would merge them."""
    shortened = {key: short(label, limit) for key, label in labels.items()}
    return shortened if len(set(shortened.values())) == len(shortened) else labels


# What the charts keep of Plotly's default template, which graph objects put in every chart
# (7 KB each): axes without lines or ticks, hatching of the size and weight every chart and
# test was drawn with, hover on the nearest mark.
_AXIS = {
    "linecolor": "white",
    "ticks": "",
    "title": {"standoff": 15},
    "zerolinecolor": "white",
    "zerolinewidth": 2,
}
TEMPLATE = {
    "data": {
        "bar": [
            {
                "type": "bar",
                "marker": {
                    "line": {"color": "#E5ECF6", "width": 0.5},
                    "pattern": {"fillmode": "overlay", "size": 10, "solidity": 0.2},
                },
            }
        ]
    },
    "layout": {
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "autotypenumbers": "strict",
        "xaxis": _AXIS,
        "yaxis": _AXIS,
    },
}


def figure(**layout: Any) -> Figure:
    """A chart with no traces yet and ``layout``."""
    return {"data": [], "layout": {"template": TEMPLATE, **layout}}


def merge(target: dict, updates: dict) -> dict:
    """``updates`` written into ``target``, nested dicts merged rather than replaced (as
    Plotly's ``update_layout`` does)."""
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value
    return target


def finish(
    fig: Figure,
    dataset: Dataset,
    lang: str,
    title: str,
    source_ids: Iterable[str],
    notes: Iterable[str] = (),
    legend: Iterable[tuple[str, str]] = (),
    alt: Sequence[str] = (),
    marks: int = 0,
) -> Figure:
    """The chart's text block above the plot — title, ``legend`` (pairs of a :func:`swatch`
    and what it means), ``notes``, the reports — fonts, and margins that leave room for it.

    ``alt`` are the chart's main marks in words, the most telling first, and ``marks`` how many
    it draws in all: its text alternative (:func:`alt_text`). None says that nothing matches.
    """
    ids = sorted(set(map(str, source_ids)))
    # Past a few reports a chart says how many; the figures table lists each figure's report.
    if len(ids) > SOURCES_NAMED:
        sources = [t("source_many", lang, n=len(ids))]
    else:
        titles = _source_titles(dataset, ids, lang)
        sources = [t("source_line", lang, titles=titles[0]), *titles[1:]] if titles else []
    block = [f"<b>{'<br>'.join(escape(x) for x in wrap(title, TITLE_SIZE))}</b>"]
    entries = list(legend)
    if entries:
        block.append(_legend_lines(entries))
    small = [line for text in [*notes, *sources] for line in wrap(text, NOTE_SIZE)]
    if small:
        spans = "<br>".join(escape(line) for line in small)
        block.append(f'<span style="font-size:{NOTE_SIZE}px;color:{MUTED}">{spans}</span>')
    layout = fig["layout"]
    merge(
        layout,
        {
            "title": {
                "text": "<br>".join(block),
                # Above the plot, bottom-anchored: Plotly then grows the top margin to hold every
                # line. (Anchored to the container's top, its lines are shifted above the canvas.)
                "x": 0,
                "xref": "container",
                "xanchor": "left",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "automargin": True,
                "pad": {"b": 12, "l": 12},
                "font": {"size": TITLE_SIZE},
            },
            "font": {"family": FONT, "size": TEXT_SIZE, "color": INK},
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
            "showlegend": False,
            "margin": {"l": 16, "r": 16, "t": 16, "b": 16},
            "separators": ".,",
            "uniformtext": {"minsize": MIN_LABEL_SIZE, "mode": "hide"},
            "xaxis": {"automargin": True},
            "yaxis": {"automargin": True},
            "meta": {"alt": _sentence(title, list(alt), max(marks, len(alt)), lang)},
        },
    )
    # The plot keeps the height its chart asked for; the text block comes on top of it.
    layout["height"] = layout.get("height", 400) + text_block_height(fig)
    return fig


def _sentence(title: str, items: list[str], marks: int, lang: str) -> str:
    if not items:
        return t("chart_alt_empty", lang, title=title)
    said = t("clause_sep", lang).join(items[:ALT_ITEMS])
    if marks > ALT_ITEMS:
        return t("chart_alt_more", lang, title=title, items=said, n=marks)
    return t("chart_alt", lang, title=title, items=said)


def said(what: str, value: str, lang: str) -> str:
    """One mark of a chart in words, for its text alternative: what it is, and its value."""
    return f"{what}{t('colon', lang)}{value}"


def alt_text(fig: Figure) -> str:
    """What the chart shows, in a sentence with its main numbers: the words a screen reader
    says for it."""
    return str(fig["layout"]["meta"]["alt"])


def text_block_height(fig: Figure) -> int:
    """The height in px of a chart's text block (its title): Plotly spaces every line of a
    title 1.3 em of the title's font, whatever size its spans are."""
    return round((fig["layout"]["title"]["text"].count("<br>") + 1) * 1.3 * TITLE_SIZE)


def _legend_lines(entries: list[tuple[str, str]]) -> str:
    """Legend entries (``mark`` markup, label) in lines that fit: a mark is one em wide."""
    lines: list[list[str]] = [[]]
    width = 0.0
    for mark, label in entries:
        item = f"{mark} {escape(label)}"
        item_width = TEXT_SIZE + text_width(" " + label + "   ", TEXT_SIZE)
        if lines[-1] and width + item_width > WRAP_PX:
            lines.append([])
            width = 0.0
        lines[-1].append(item)
        width += item_width
    text = "<br>".join("   ".join(line) for line in lines)
    return f'<span style="font-size:{TEXT_SIZE}px">{text}</span>'


def swatch(colour: str, mark: str = "■") -> str:
    """A legend mark: ``mark`` in ``colour``."""
    return f'<span style="color:{colour}">{mark}</span>'


def _source_titles(dataset: Dataset, ids: list[str], lang: str) -> list[str]:
    sources = dataset.tables["sources"].set_index("source_id")
    column = "title_zh" if lang == "zh" else "title_en"
    return [
        f"《{sources.at[i, column]}》" if lang == "zh" else sources.at[i, column]
        for i in ids
        if i in sources.index
    ]


def id_list(ids: tuple[str, ...], count: int) -> str:
    """The first few of ``count`` figure ids and how many more: what a tooltip can show."""
    shown = ", ".join(ids[:IDS_SHOWN])
    return shown + (f" … (+{count - IDS_SHOWN})" if count > IDS_SHOWN else "")


def patterns(shapes: Iterable[str]) -> dict:
    """Bar fill patterns, drawn in white over the bar's colour so the colour still reads."""
    return {"shape": list(shapes), "fillmode": "overlay", "fgcolor": "#ffffff"}


def empty_figure(dataset: Dataset, lang: str, title: str, why: str = "") -> Figure:
    """A chart that says in words why it draws nothing — that nothing matches, or ``why`` —
    instead of empty axes."""
    said = why or t("empty_chart", lang)
    note = {
        "text": "<br>".join(escape(line) for line in wrap(said, EMPTY_SIZE)),
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "showarrow": False,
        "font": {"size": EMPTY_SIZE, "color": MUTED},
    }
    fig = figure(xaxis={"visible": False}, yaxis={"visible": False}, annotations=[note])
    return finish(fig, dataset, lang, title, (), alt=[said] if why else ())


def groups(frame: pd.DataFrame, keys: list[str]) -> Iterator[tuple[tuple, dict[str, np.ndarray]]]:
    """``frame``'s rows grouped by the values of ``keys``, in order of first appearance (a
    chart's traces), each group as numpy columns. A pandas group-by makes a frame per group,
    and reading its columns cost more than drawing them at national scale."""
    columns = {name: frame[name].to_numpy() for name in frame.columns}
    codes, uniques = pd.factorize(pd.MultiIndex.from_arrays([columns[k] for k in keys]))
    for code, key in enumerate(uniques):
        rows = np.flatnonzero(codes == code)
        yield key, {name: values[rows] for name, values in columns.items()}


def largest(frame: pd.DataFrame, key: str, n: int) -> list[str]:
    """The ``n`` keys with the largest values (ties by key, so the choice is stable)."""
    ranked = frame.assign(_v=frame["value"].fillna(-1.0)).sort_values(
        ["_v", key], ascending=[False, True]
    )
    return list(ranked[key].head(n))


def industry_colours(dataset: Dataset, shown: Iterable[str]) -> dict[str, str]:
    """A colour for each industry a chart draws (``shown``, at most the palette's eight): the
    same in every chart and view while the industries table's order gives them distinct
    colours, else the palette in the order they are drawn (thirty industries share eight
    colours, and two greens side by side read as one industry)."""
    shown = list(shown)
    industries = dataset.tables["industries"]["industry"].astype(str)
    fixed = {name: OKABE_ITO[i % len(OKABE_ITO)] for i, name in enumerate(industries)}
    if len({fixed[name] for name in shown}) == len(shown):
        return {name: fixed[name] for name in shown}
    return {name: OKABE_ITO[i % len(OKABE_ITO)] for i, name in enumerate(shown)}
