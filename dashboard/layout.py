"""The page layout: the dataset's figures with their values, qualifiers and sources.

A minimal first page (issue #2); it shows what the metrics package decides and computes nothing.
"""

from __future__ import annotations

from dash import html

from metrics import Dataset
from metrics.present import figure_records
from metrics.query import Filters, select_figures

_TEXT = {
    "zh": {
        "title": "区域数字经济指标",
        "subtitle": "来自区域数字经济报道的数据，每个数字都可追溯到原文。",
        "columns": ("城市", "产业", "指标", "数值", "时间", "原文", "来源"),
        "inferred": "（年份为推定）",
        "version": "数据版本",
    },
    "en": {
        "title": "Regional digital-economy metrics",
        "subtitle": "Figures from regional digital-economy reports, each traceable to its source.",
        "columns": ("City", "Industry", "Metric", "Value", "Period", "Quote", "Source"),
        "inferred": " (year inferred)",
        "version": "Dataset version",
    },
}


def build_layout(dataset: Dataset, lang: str = "zh") -> html.Div:
    """The whole page for ``lang``: a header and a table of every figure with its quote."""
    text = _TEXT[lang]
    records = figure_records(dataset, select_figures(dataset, Filters()), lang)
    rows = [
        html.Tr(
            [
                html.Td(rec["city"]),
                html.Td(rec["industry"].replace("|", "、")),
                html.Td(rec["metric_name"]),
                html.Td(rec["display"], className="value"),
                html.Td(
                    f"{rec['period_start']} – {rec['period_end']}"
                    + (text["inferred"] if rec["date_inferred"] else "")
                ),
                html.Td(html.Q(rec["quote"], lang="zh-CN")),
                html.Td(html.Code(rec["source_id"])),
            ],
            id=f"figure-{rec['figure_id']}",
        )
        for rec in records.to_dict("records")
    ]
    return html.Div(
        [
            html.Header([html.H1(text["title"]), html.P(text["subtitle"])]),
            html.Main(
                html.Table(
                    [
                        html.Thead(html.Tr([html.Th(c) for c in text["columns"]])),
                        html.Tbody(rows),
                    ],
                    className="figures",
                )
            ),
            html.Footer(f"{text['version']} {dataset.version} · {len(records)}"),
        ],
        lang="zh-CN" if lang == "zh" else "en",
    )
