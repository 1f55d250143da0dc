"""The curated dataset is right: every figure the issue names, field by field, and provenance."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics import parse_number
from metrics.numbers import detect_qualifier

from .conftest import DATA, ROOT

CHUZHOU = "000_0a8ea07d3a04f351"
BINZHOU = "003_fea83e67b8f794f4"

# Every field of the figures the curated dataset must hold, written out from reading the reports.
EXPECTED_FIGURES = {
    "chuzhou-2018-appliance-festival-sales": dict(
        source_id=CHUZHOU,
        raw="1.3572亿元",
        value=135_720_000,
        unit="CNY",
        qualifier="exact",
        metric="campaign_sales",
        city="滁州",
        province="安徽",
        industry="家电",
        event_id="chuzhou-2018-appliance-festival",
        period=("2018-05-01", "2018-05-31", "month"),
        date_inferred=True,
        is_target=False,
        quote="仅康佳白电、扬子空调、KKTV三家滁州企业在京东的销售总额就达到1.3572亿元",
    ),
    "chuzhou-2018-618-sales": dict(
        source_id=CHUZHOU,
        raw="3.55亿元",
        value=355_000_000,
        unit="CNY",
        qualifier="exact",
        metric="campaign_sales",
        city="滁州",
        province="安徽",
        industry="食品|家电",
        event_id="chuzhou-2018-618-campaign",
        period=("2018-06-01", "2018-06-25", "day"),
        date_inferred=True,
        is_target=False,
        quote="截至本月25日，在滁相关企业在京东销售额已达到3.55亿元",
    ),
    "chuzhou-2018-park-companies-signed": dict(
        source_id=CHUZHOU,
        raw="10家",
        value=10,
        unit="company",
        qualifier="exact",
        metric="companies_signed",
        city="滁州",
        province="安徽",
        industry="数字经济",
        event_id="chuzhou-2018-park-signing",
        period=("2018-06-26", "2018-06-26", "day"),
        date_inferred=True,
        is_target=False,
        quote="以北京熠辉旺达科技有限公司、上海治信实业发展有限公司、苏州市山水丝绸有限公司等"
        "为代表的10家企业，在现场与滁州经济开发区管委会、京东云滁州基地签署了数字经济产业园入驻协议",
    ),
    "binzhou-13th-fyp-textile-target": dict(
        source_id=BINZHOU,
        raw="1300亿级",
        value=130_000_000_000,
        unit="CNY",
        qualifier="approx",
        metric="output_target",
        city="滨州",
        province="山东",
        industry="纺织",
        event_id="binzhou-13th-fyp-textile-plan",
        period=("2016-01-01", "2020-12-31", "plan_period"),
        date_inferred=False,
        is_target=True,
        quote="“十三五”期间，滨州市委、市政府提出了“打造1300亿级纺织产业集群”的目标",
    ),
    "binzhou-textile-cluster-output": dict(
        source_id=BINZHOU,
        raw="超千亿",
        value=100_000_000_000,
        unit="CNY",
        qualifier="more_than",
        metric="industry_output",
        city="滨州",
        province="山东",
        industry="纺织",
        event_id=None,
        period=("2018-01-01", "2018-12-31", "year"),
        date_inferred=True,
        is_target=False,
        quote="滨州拱卫起了“全国超千亿产值纺织产业集群地区”的“航母”",
    ),
    "binzhou-2018-ecommerce-city-companies-signed": dict(
        source_id=BINZHOU,
        raw="魏桥纺织、华纺股份、亚光家纺、愉悦家纺、东方地毯等",
        value=5,
        unit="company",
        qualifier="at_least",
        metric="companies_signed",
        city="滨州",
        province="山东",
        industry="纺织",
        event_id="binzhou-2018-ecommerce-city-signing",
        period=("2018-05-15", "2018-05-15", "day"),
        date_inferred=False,
        is_target=False,
        quote="魏桥纺织、华纺股份、亚光家纺、愉悦家纺、东方地毯等滨州纺织企业界代表，也出席了本次产业节，"
        "并同滨州经济技术开发区管委会，签订了入驻“滨州市国际电商城”的协议",
    ),
}


@pytest.mark.parametrize("figure_id", sorted(EXPECTED_FIGURES))
def test_required_figure_is_right_in_every_field(dataset, figure_id):
    expected = EXPECTED_FIGURES[figure_id]
    view = dataset.figure_view.set_index("figure_id")
    assert figure_id in view.index
    row = view.loc[figure_id]
    for field in (
        "source_id",
        "raw",
        "unit",
        "qualifier",
        "metric",
        "city",
        "province",
        "industry",
        "quote",
        "date_inferred",
        "is_target",
    ):
        assert row[field] == expected[field], field
    assert row["value"] == expected["value"]
    assert row["event_id"] == (expected["event_id"] or "")
    start, end, precision = expected["period"]
    assert row["period_start"] == pd.Timestamp(start)
    assert row["period_end"] == pd.Timestamp(end)
    assert row["period_precision"] == precision
    assert (row["date_inference"] != "") == expected["date_inferred"]


def test_chuzhou_year_is_inferred_with_a_reason_and_binzhou_year_is_stated(dataset):
    events = dataset.events.set_index("event_id")
    conference = events.loc["chuzhou-2018-digital-economy-conference"]
    assert conference["start"] == pd.Timestamp("2018-06-26")
    assert conference["date_inferred"]
    reason = dataset.inferences.set_index("inference_id").loc[conference["date_inference"]]
    assert "2017年5月" in reason["reason_zh"] and "今年5月" in reason["reason_zh"]
    festival = events.loc["binzhou-2018-lufang-festival"]
    assert festival["start"] == pd.Timestamp("2018-05-15") and not festival["date_inferred"]


def test_partnership_starts_are_recorded(dataset):
    events = dataset.events.set_index("event_id")
    chuzhou = events.loc["chuzhou-2017-jd-partnership"]
    assert (chuzhou["kind"], chuzhou["start"], chuzhou["precision"]) == (
        "partnership",
        pd.Timestamp("2017-05-01"),
        "month",
    )
    binzhou = events.loc["binzhou-2017-jd-cloud-base"]
    assert (binzhou["kind"], binzhou["start"].year, binzhou["precision"]) == (
        "partnership",
        2017,
        "year",
    )
    assert not chuzhou["date_inferred"] and not binzhou["date_inferred"]


def test_the_618_figure_is_one_figure_in_two_industries(dataset):
    links = dataset.figure_industries
    industries = links.loc[links["figure_id"] == "chuzhou-2018-618-sales", "industry"]
    assert sorted(industries.astype(str)) == ["家电", "食品"]
    assert (dataset.figures["raw"] == "3.55亿元").sum() == 1


def test_named_companies_and_their_roles(dataset):
    roles = dataset.company_roles.merge(dataset.companies, on="company_id")
    by = roles.groupby("role", observed=True)["name_zh"].agg(set)
    assert {"康佳白电", "扬子空调", "KKTV"} <= by["campaign_participant"]
    assert {
        "魏桥纺织",
        "华纺股份",
        "亚光家纺",
        "愉悦家纺",
        "东方地毯",
        "北京熠辉旺达科技有限公司",
    } <= by["park_signing"]
    awards = dict(
        zip(
            roles.loc[roles["role"] == "award_winner", "name_zh"],
            roles.loc[roles["role"] == "award_winner", "award_zh"],
            strict=True,
        )
    )
    assert awards["中国扬子集团滁州扬子空调器分公司"] == "京东618滁州企业销售冠军奖"
    assert awards["安徽康佳同创有限公司"] == "京东618滁州企业增长冠军奖"
    assert len(awards) == 5


def test_publisher_url_and_publication_date_are_unknown_not_invented(dataset):
    sources = dataset.sources
    assert set(sources["source_id"]) == {CHUZHOU, BINZHOU}
    for column in ("publisher", "url"):
        assert (sources[column] == "").all(), column
    assert sources["published"].isna().all()


def test_every_quote_is_verbatim_in_its_source(dataset):
    for name in ("figures", "events", "company_roles", "platforms"):
        for source_id, quote in zip(
            dataset.tables[name]["source_id"], dataset.tables[name]["quote"], strict=True
        ):
            text = (DATA / "sources" / f"{source_id}.txt").read_text(encoding="utf-8")
            assert quote in text, (name, quote)


def test_every_raw_string_parses_to_its_value_and_qualifier(dataset):
    for fig in dataset.figures.itertuples():
        where = fig.quote.index(fig.raw)
        qualifier = detect_qualifier(fig.quote[:where], fig.raw, fig.quote[where + len(fig.raw) :])
        assert qualifier == fig.qualifier, fig.figure_id
        if fig.derivation == "stated":
            assert parse_number(fig.raw).value == fig.value, fig.figure_id


def test_report_texts_are_byte_for_byte_the_received_ones(dataset):
    shared = ROOT.parent / "shared" / "sources"
    if not shared.is_dir():
        pytest.skip(f"the received reports are not beside the project ({shared})")
    for source in dataset.sources.itertuples():
        ours = (DATA / source.path).read_bytes()
        assert ours == (shared / Path(source.path).name).read_bytes()
        assert hashlib.sha256(ours).hexdigest() == source.sha256


def test_frictionless_reference_implementation_accepts_the_package():
    from frictionless import Package

    report = Package(str(DATA / "datapackage.json")).validate()
    errors = [e.message for task in report.tasks for e in task.errors]
    assert report.valid, errors[:10]


def test_frictionless_reference_implementation_catches_a_broken_key(data_copy):
    """Guards the test above: the reference validator does check our foreign keys."""
    from frictionless import Package

    path = data_copy / "figures.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(",滁州,", ",合肥,", 1), encoding="utf-8"
    )
    report = Package(str(data_copy / "datapackage.json")).validate()
    assert not report.valid


def test_types_are_real_types_not_text(dataset):
    figures = dataset.figures
    assert figures["value"].dtype == "float64"
    assert isinstance(figures["period_start"].iloc[0], pd.Timestamp)
    assert figures["date_inferred"].dtype == bool
    assert dataset.cities["adcode"].tolist() == [341100, 371600]
    assert (
        date(2018, 6, 26)
        == dataset.sources.set_index("source_id").loc[CHUZHOU, "event_date"].date()
    )


def test_repeated_text_is_categorical_as_astype_would_make_it(synthetic_dataset):
    """Validation builds the categoricals from the codes it computes anyway; they must be what
    ``astype("category")`` makes of the text (sorted categories), and other text stays text."""
    for name, frame in synthetic_dataset.tables.items():
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.CategoricalDtype):
                text = frame[column].astype(str)
                pd.testing.assert_series_equal(frame[column], text.astype("category"), obj=name)
    figures = synthetic_dataset.figures
    assert {"source_id", "unit", "qualifier", "city", "event_id"} <= set(
        figures.select_dtypes("category").columns
    )
    assert figures["quote"].dtype == "str" and figures["figure_id"].dtype == "str"
