"""A synthetic national-scale dataset in the real format, for benchmarks and scale tests.

``python -m metrics synth --figures 1000000 -o DIR`` writes a data package that passes the same
validation as the curated one: real prefecture-level cities (``resources/prefectures.csv``),
thirty industries, ten years, campaigns, signings, outputs and targets, each figure quoted
verbatim from a generated report text. Seeded, so the same arguments give the same bytes.
Values are drawn as integers and written as Chinese number phrases, so every raw string reads
back exactly to its value.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from metrics.dataset import BUNDLED_DATA_DIR

RESOURCES = Path(__file__).resolve().parent / "resources"
FIGURES_PER_SOURCE = 100
YEARS = tuple(range(2015, 2025))
INDUSTRIES = (
    ("食品", "Food"),
    ("家电", "Home appliances"),
    ("纺织", "Textiles"),
    ("数字经济", "Digital economy"),
    ("服装", "Apparel"),
    ("家具", "Furniture"),
    ("汽车", "Automobiles"),
    ("电子信息", "Electronics"),
    ("生物医药", "Biomedicine"),
    ("新能源", "New energy"),
    ("新材料", "New materials"),
    ("装备制造", "Equipment"),
    ("化工", "Chemicals"),
    ("钢铁", "Steel"),
    ("有色金属", "Non-ferrous metals"),
    ("建材", "Building materials"),
    ("农产品", "Farm produce"),
    ("茶叶", "Tea"),
    ("酒类", "Liquor"),
    ("水产", "Aquatic products"),
    ("文化旅游", "Culture and tourism"),
    ("物流", "Logistics"),
    ("跨境电商", "Cross-border e-commerce"),
    ("软件", "Software"),
    ("集成电路", "Integrated circuits"),
    ("人工智能", "Artificial intelligence"),
    ("云计算", "Cloud computing"),
    ("医疗器械", "Medical devices"),
    ("陶瓷", "Ceramics"),
    ("玩具", "Toys"),
)
# metric -> share of the figures (the shares sum to 1).
METRIC_SHARES = {
    "campaign_sales": 0.45,
    "companies_signed": 0.2,
    "companies_participating": 0.15,
    "industry_output": 0.12,
    "output_target": 0.08,
}
# qualifier -> (word before, word after) the number in a raw phrase; the loader reads it back.
_WORDING = {
    "exact": ("", ""),
    "more_than": ("超过", ""),
    "approx": ("约", ""),
    "at_least": ("不少于", ""),
}


def synthesize(n_figures: int, out: str | Path, *, seed: int = 2018) -> Path:
    """Write a valid data package of ``n_figures`` figures to ``out`` (created; must be empty)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; synth writes a whole data package")
    (out / "sources").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cities = pd.read_csv(RESOURCES / "prefectures.csv", dtype=str, keep_default_na=False)
    cities.to_csv(out / "cities.csv", index=False, lineterminator="\n")
    for name in ("units.csv", "metrics.csv", "inferences.csv", "datapackage.json"):
        shutil.copy(BUNDLED_DATA_DIR / name, out / name)
    _write(
        out / "industries.csv",
        ["industry", "name_en", "description_zh", "description_en"],
        [[zh, en, "", ""] for zh, en in INDUSTRIES],
    )
    for name, header in (
        ("companies.csv", ["company_id", "name_zh", "name_en", "notes_zh", "notes_en"]),
        (
            "company_roles.csv",
            ["company_id", "event_id", "role", "award_zh", "award_en", "source_id", "quote"],
        ),
        (
            "platforms.csv",
            ["platform_id", "name_zh", "name_en", "kind", "city", "event_id", "source_id", "quote"],
        ),
    ):
        _write(out / name, header, [])

    n_sources = max(1, -(-n_figures // FIGURES_PER_SOURCE))
    source_city = rng.integers(0, len(cities), n_sources)
    source_year = rng.choice(YEARS, n_sources)
    source_month = rng.integers(1, 13, n_sources)
    figure_source = np.sort(rng.integers(0, n_sources, n_figures))
    figures = _figures(
        rng, n_figures, figure_source, cities, source_city, source_year, source_month
    )
    _sources_and_events(out, figures, cities, source_city, source_year, source_month, n_sources)
    figures.drop(columns=["industries"]).to_csv(
        out / "figures.csv", index=False, lineterminator="\n"
    )
    links = figures[["figure_id", "industries"]].explode("industries")
    links.columns = ["figure_id", "industry"]
    links.to_csv(out / "figure_industries.csv", index=False, lineterminator="\n")
    # The whole package arrives as one change: an import, version 1. The time is fixed so
    # that the same seed gives the same bytes.
    _write(
        out / "changes.csv",
        ["version", "at", "actor", "action", "source_id", "figure_ids", "note"],
        [
            [
                1,
                "2018-12-31T00:00:00Z",
                "metrics synth",
                "import",
                "",
                "",
                f"synthetic national dataset: {n_figures} figures, seed {seed}",
            ]
        ],
    )
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["name"] = "synthetic-national-figures"
    descriptor["title"] = f"Synthetic national dataset ({n_figures:,} figures, seed {seed})"
    descriptor["sources"] = [{"title": "generated by python -m metrics synth"}]
    (out / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return out


def _figures(
    rng: np.random.Generator,
    n: int,
    source: np.ndarray,
    cities: pd.DataFrame,
    source_city: np.ndarray,
    source_year: np.ndarray,
    source_month: np.ndarray,
) -> pd.DataFrame:
    metric = rng.choice(list(METRIC_SHARES), n, p=list(METRIC_SHARES.values()))
    qualifier = rng.choice(list(_WORDING), n, p=[0.7, 0.15, 0.1, 0.05])
    city = cities["city"].to_numpy()[source_city[source]]
    year, month = source_year[source], source_month[source]
    industry_index = rng.integers(0, len(INDUSTRIES), (n, 2))
    two = rng.random(n) < 0.1
    names = np.array([zh for zh, _ in INDUSTRIES])
    first, second = names[industry_index[:, 0]], names[industry_index[:, 1]]
    industries = [
        [a, b] if pair and a != b else [a] for a, b, pair in zip(first, second, two, strict=True)
    ]

    # Amounts in hundredths of 亿元 (1.00亿 to 99.99亿) or whole 万元; counts 3 to 999 家.
    cents = rng.integers(100, 10_000, n)
    wan = rng.integers(100, 10_000, n)
    count = rng.integers(3, 1000, n)
    use_wan = rng.random(n) < 0.3
    raw, value, unit = [], np.zeros(n), []
    for i in range(n):
        m, q = metric[i], qualifier[i]
        if m in ("companies_signed", "companies_participating"):
            number, value[i], u = f"{count[i]}家", count[i], "company"
        elif m == "output_target":
            q = qualifier[i] = "approx"  # 亿级 names a scale, as in the curated target
            number, value[i], u = f"{cents[i] // 100 * 10}亿级", cents[i] // 100 * 10 * 10**8, "CNY"
        elif use_wan[i] and m == "campaign_sales":
            number, value[i], u = f"{wan[i]}万元", wan[i] * 10**4, "CNY"
        else:
            number, value[i], u = f"{cents[i] / 100:.2f}亿元", cents[i] * 10**6, "CNY"
        prefix = "" if m == "output_target" else _WORDING[q][0]
        raw.append(prefix + number)
        unit.append(u)
    raw_array = np.array(raw, dtype=object)
    label_zh = {
        "campaign_sales": "电商活动销售额",
        "companies_signed": "签约入驻企业",
        "companies_participating": "参与活动企业",
        "industry_output": "产业集群产值",
        "output_target": "产值目标",
    }
    label_en = {
        "campaign_sales": "campaign sales",
        "companies_signed": "companies signed",
        "companies_participating": "companies taking part",
        "industry_output": "cluster output",
        "output_target": "output target",
    }
    verb = {
        "campaign_sales": "{c}{i}企业在电商平台的销售额{r}",
        "companies_signed": "{c}{i}领域签约入驻企业{r}",
        "companies_participating": "{c}{i}参与活动的企业{r}",
        "industry_output": "{c}{i}产业集群产值{r}",
        "output_target": "{c}提出打造{r}{i}产业集群的目标",
    }
    ids = np.char.add("f", np.arange(n).astype(str))
    quote = [
        verb[m].format(c=c, i=ind[0], r=r)
        for m, c, ind, r in zip(metric, city, industries, raw_array, strict=True)
    ]
    city_en = dict(zip(cities["city"], cities["name_en"], strict=True))
    industry_en = dict(INDUSTRIES)
    plan = metric == "output_target"
    start = pd.to_datetime({"year": year, "month": month, "day": 1})
    end = start + pd.offsets.MonthEnd(0)
    plan_start = pd.to_datetime({"year": np.where(year < 2021, 2016, 2021), "month": 1, "day": 1})
    plan_end = pd.to_datetime({"year": np.where(year < 2021, 2020, 2025), "month": 12, "day": 31})
    return pd.DataFrame(
        {
            "figure_id": ids,
            "source_id": np.char.add("s", source.astype(str)),
            "quote": quote,
            "raw": raw_array,
            "value": value.astype(np.int64),
            "unit": unit,
            "qualifier": qualifier,
            "derivation": "stated",
            "metric": metric,
            "city": city,
            "event_id": np.char.add("e", source.astype(str)),
            "label_zh": [
                f"{c}{i[0]}{label_zh[m]}" for c, i, m in zip(city, industries, metric, strict=True)
            ],
            "label_en": [
                f"{city_en[c]} {industry_en[i[0]].lower()}: {label_en[m]}"
                for c, i, m in zip(city, industries, metric, strict=True)
            ],
            "period_start": np.where(
                plan, plan_start.dt.strftime("%Y-%m-%d"), start.dt.strftime("%Y-%m-%d")
            ),
            "period_end": np.where(
                plan, plan_end.dt.strftime("%Y-%m-%d"), end.dt.strftime("%Y-%m-%d")
            ),
            "period_precision": np.where(plan, "plan_period", "month"),
            "date_inferred": "false",
            "date_inference": "",
            "notes_zh": "",
            "notes_en": "",
            "industries": industries,
        }
    )


def _sources_and_events(
    out: Path,
    figures: pd.DataFrame,
    cities: pd.DataFrame,
    source_city: np.ndarray,
    source_year: np.ndarray,
    source_month: np.ndarray,
    n_sources: int,
) -> None:
    """One report per source: a heading sentence naming its event, then its figures' quotes."""
    quotes = figures.groupby("source_id", sort=False)["quote"].agg(list)
    source_rows, event_rows = [], []
    for s in range(n_sources):
        source_id, event_id = f"s{s}", f"e{s}"
        city = cities["city"].iat[source_city[s]]
        year, month = int(source_year[s]), int(source_month[s])
        name = f"{city}{year}年数字经济合作活动"
        heading = f"{year}年{month}月，{city}举办“{name}”"
        body = [heading + "。", *[q + "。" for q in quotes.get(source_id, [])]]
        data = "\n".join(body).encode("utf-8")
        (out / "sources" / f"{source_id}.txt").write_bytes(data)
        start = pd.Timestamp(year=year, month=month, day=1)
        end = start + pd.offsets.MonthEnd(0)
        source_rows.append(
            [
                source_id,
                f"sources/{source_id}.txt",
                hashlib.sha256(data).hexdigest(),
                "",
                "",
                name,
                f"Synthetic report {s}",
                "curator",
                city,
                event_id,
                "",
                "false",
                "",
                "",
                "",
                "",
                "",
            ]
        )
        event_rows.append(
            [
                event_id,
                name,
                f"Synthetic campaign {s}",
                "campaign",
                city,
                "",
                start.strftime("%Y-%m-%d"),
                end.strftime("%Y-%m-%d"),
                "month",
                "false",
                "",
                "",
                "",
                source_id,
                heading,
                "",
                "",
            ]
        )
    _write(
        out / "sources" / "sources.csv",
        [
            "source_id",
            "path",
            "sha256",
            "original_path",
            "original_sha256",
            "title_zh",
            "title_en",
            "title_origin",
            "city",
            "event_id",
            "event_date",
            "event_date_inferred",
            "publisher",
            "url",
            "published",
            "notes_zh",
            "notes_en",
        ],
        source_rows,
    )
    _write(
        out / "events.csv",
        [
            "event_id",
            "name_zh",
            "name_en",
            "kind",
            "city",
            "parent_event_id",
            "start",
            "end",
            "precision",
            "date_inferred",
            "date_inference",
            "organizers_zh",
            "organizers_en",
            "source_id",
            "quote",
            "notes_zh",
            "notes_en",
        ],
        event_rows,
    )


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
