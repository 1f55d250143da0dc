"""Tests for metrics.extract: recall and precision on the bundled reports, the phrasings a
report uses, offsets, the candidates table, and the guesses of metric, city, industry and period."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

import metrics
from metrics.extract import (
    CANDIDATE_COLUMNS,
    Candidate,
    candidates_frame,
    extract,
    extract_from_dataset,
)

from .conftest import DATA, read_rows

FIGURES = read_rows(DATA / "figures.csv")
CHUZHOU, BINZHOU = "000_0a8ea07d3a04f351", "003_fea83e67b8f794f4"
# The candidates that are not curated figures, and why: the README records each only once.
NOT_CURATED = {
    CHUZHOU: ["3.55亿元"],  # “收获的3.55亿元成绩单” restates the 618 sales
    BINZHOU: ["千亿级"],  # “千亿级产业集群” restates the 超千亿 cluster
}
PRECISION_FLOOR = 0.7


@pytest.fixture(scope="module")
def found(dataset: metrics.Dataset) -> dict[str, list[Candidate]]:
    return {source: extract_from_dataset(dataset, text) for source, text in dataset.texts.items()}


def _matches(candidate: Candidate, figure: dict[str, str], text: str) -> bool:
    """Whether a candidate is the curated figure: same reading, and at the figure's place."""
    at = text.index(figure["quote"]) + figure["quote"].index(figure["raw"])
    return (
        candidate.raw == figure["raw"]
        and candidate.value == pytest.approx(float(figure["value"]), rel=1e-12)
        and candidate.unit == figure["unit"]
        and candidate.qualifier == figure["qualifier"]
        and candidate.derivation == figure["derivation"]
        and candidate.start <= at < candidate.end
        and (figure["quote"] in candidate.quote or candidate.quote in figure["quote"])
    )


def test_the_curated_figures_cover_both_derivations() -> None:
    assert {f["derivation"] for f in FIGURES} == {"stated", "enumerated"}
    assert {f["source_id"] for f in FIGURES} == {CHUZHOU, BINZHOU}


@pytest.mark.parametrize("figure", FIGURES, ids=[f["figure_id"] for f in FIGURES])
def test_every_curated_figure_is_found(
    figure: dict[str, str], found: dict[str, list[Candidate]], dataset: metrics.Dataset
) -> None:
    text = dataset.texts[figure["source_id"]]
    matching = [c for c in found[figure["source_id"]] if _matches(c, figure, text)]
    assert len(matching) == 1, [c.raw for c in found[figure["source_id"]]]


@pytest.mark.parametrize("source", [CHUZHOU, BINZHOU])
def test_precision_on_the_bundled_reports(
    source: str,
    found: dict[str, list[Candidate]],
    dataset: metrics.Dataset,
    record_property: pytest.RecordProperty,
) -> None:
    text = dataset.texts[source]
    figures = [f for f in FIGURES if f["source_id"] == source]
    candidates = found[source]
    matched = [c for c in candidates if any(_matches(c, f, text) for f in figures)]
    precision = len(matched) / len(candidates)
    record_property(f"precision_{source}", precision)
    print(f"\nprecision {source}: {len(matched)}/{len(candidates)} = {precision:.2f}")
    assert [c.raw for c in candidates if c not in matched] == NOT_CURATED[source]
    assert precision >= PRECISION_FLOOR


# (sentence, raw, value, value_max, unit, qualifier): each sentence holds exactly one figure.
PHRASINGS = [
    ("滁州企业在京东的销售额达到1.3572亿元。", "1.3572亿元", 135_720_000.0, None, "CNY", "exact"),
    ("滨州建成超千亿产值纺织产业集群。", "超千亿", 1e11, None, "CNY", "more_than"),
    ("提出打造1300亿级纺织产业集群的目标。", "1300亿级", 1.3e11, None, "CNY", "approx"),
    ("打造百亿级产业集群。", "百亿级", 1e10, None, "CNY", "approx"),
    ("园区产值3.55亿。", "3.55亿", 355_000_000.0, None, "CNY", "exact"),
    ("累计签约企业640余家。", "640余家", 640.0, None, "company", "more_than"),
    ("产业园已吸引1.4万家企业入驻。", "1.4万家", 14_000.0, None, "company", "exact"),
    ("全年网络销售额约3.5亿元。", "约3.5亿元", 350_000_000.0, None, "CNY", "approx"),
    ("网上销售额约有3亿元。", "3亿元", 300_000_000.0, None, "CNY", "approx"),
    ("入驻企业近2000家。", "近2000家", 2000.0, None, "company", "approx"),
    ("计划投资近百亿元。", "近百亿元", 1e10, None, "CNY", "approx"),
    ("项目占地500亩左右。", "500亩左右", 500.0, None, "mu", "approx"),
    ("销售额达到3.55亿元左右。", "3.55亿元左右", 355_000_000.0, None, "CNY", "approx"),
    ("新建标准化厂房12万平方米。", "12万平方米", 120_000.0, None, "m2", "exact"),
    ("新建厂房3.5万平方米。", "3.5万平方米", 35_000.0, None, "m2", "exact"),
    ("园区占地面积为800亩。", "800亩", 800.0, None, "mu", "exact"),
    ("销售额同比增长2.86%。", "2.86%", 0.0286, None, "percent", "exact"),
    ("销售额增长１２．５％。", "１２．５％", 0.125, None, "percent", "exact"),
    ("线上销量增长3倍。", "3倍", 3.0, None, "times", "exact"),
    ("销售额增长了一倍。", "一倍", 1.0, None, "times", "exact"),
    ("预计带动投资3至5亿元。", "3至5亿元", 3e8, 5e8, "CNY", "at_least"),
    ("计划引进投资3-5亿元的项目。", "3-5亿元", 3e8, 5e8, "CNY", "at_least"),
    ("年营业收入3～5亿元。", "3～5亿元", 3e8, 5e8, "CNY", "at_least"),
    ("签约项目3至5个。", "3至5个", 3.0, 5.0, "item", "at_least"),
    ("三至五家企业参与。", "三至五家", 3.0, 5.0, "company", "at_least"),
    ("每批签约不少于5家企业。", "不少于5家", 5.0, None, "company", "at_least"),
    ("培育年销售额过亿的企业100家以上。", "100家以上", 100.0, None, "company", "at_least"),
    ("引进投资逾10亿元。", "逾10亿元", 1e9, None, "CNY", "more_than"),
    ("网络零售额突破100亿元。", "突破100亿元", 1e10, None, "CNY", "more_than"),
    ("带动就业超过1000人。", "超过1000人", 1000.0, None, "person", "more_than"),
    ("吸引100多家企业。", "100多家", 100.0, None, "company", "more_than"),
    ("打造两个平台。", "两个", 2.0, None, "item", "exact"),
    ("培训电商人才一千人。", "一千人", 1000.0, None, "person", "exact"),
    ("康佳、扬子、KKTV三家企业参与活动。", "三家", 3.0, None, "company", "exact"),
    ("十家企业获得表彰。", "十家", 10.0, None, "company", "exact"),
    ("本次签约企业１０家。", "１０家", 10.0, None, "company", "exact"),
    ("总投资1,300亿元。", "1,300亿元", 1.3e11, None, "CNY", "exact"),
    ("总投资三千五百万元。", "三千五百万元", 35_000_000.0, None, "CNY", "exact"),
    ("单笔销售额达2.5万元。", "2.5万元", 25_000.0, None, "CNY", "exact"),
    ("数字经济规模达1.2万亿元。", "1.2万亿元", 1.2e12, None, "CNY", "exact"),
    ("实现销售额1.5亿人民币。", "1.5亿人民币", 150_000_000.0, None, "CNY", "exact"),
    ("带动农户人均增收5000元。", "5000元", 5000.0, None, "CNY", "exact"),
    ("共有120人参加培训。", "120人", 120.0, None, "person", "exact"),
    ("现场签约项目15项。", "15项", 15.0, None, "item", "exact"),
    ("新增就业岗位2000个。", "2000个", 2000.0, None, "item", "exact"),
    ("企业分三批入驻。", "三批", 3.0, None, "batch", "exact"),
    ("第二批10家企业签约入驻。", "10家", 10.0, None, "company", "exact"),
    ("现场签约10家企业。", "10家", 10.0, None, "company", "exact"),  # 签约 is no 约
    ("近年来，园区引进企业5家。", "5家", 5.0, None, "company", "exact"),  # 近年来 is no 近
    ("代表10家企业发言。", "10家", 10.0, None, "company", "exact"),  # 代表 is no caption
]


@pytest.mark.parametrize(
    ("sentence", "raw", "value", "value_max", "unit", "qualifier"),
    PHRASINGS,
    ids=[row[1] + "@" + row[0][:8] for row in PHRASINGS],
)
def test_phrasings(
    sentence: str, raw: str, value: float, value_max: float | None, unit: str, qualifier: str
) -> None:
    (candidate,) = extract(sentence)
    assert (candidate.raw, candidate.unit, candidate.qualifier) == (raw, unit, qualifier)
    assert candidate.value == pytest.approx(value, rel=1e-12)
    assert candidate.value_max == (None if value_max is None else pytest.approx(value_max))
    assert candidate.derivation == "stated"


NOT_FIGURES = [
    "2017年5月，滁州和京东集团展开合作。",
    "6月26日，大会在滁州举办。",
    "截至本月25日。",
    "发布日期2018-06-26。",
    "历时3个月。",
    "**（图一）“2018年首届鲁纺产业节”启动**",
    "如图1所示。",
    "![lufang1.png]()",
    "搭乘京东“618年中大促”战车。",
    "获得“京东618滁州企业销售冠军奖”。",
    "围绕“618战果”的分享。",
    "“2018首届鲁纺产业节”在滨州盛大开幕。",
    "“十三五”期间，滨州提出目标。",
    "滁州京东数字经济产业园第二批入驻企业签约。",
    "在第1届论坛上发言。",
    "作为全球互联网前十强之一。",
    "联系电话：0550-3021234。",
    "咨询热线13912345678。",
    "1. 项目概况",
    "（一）基本情况",
    "推进5G网络建设。",
    "推出一批高品质鲁纺。",
    "将一项项国家发明专利收入囊中。",
    "打造两大平台。",
    "一进入6月，双方策划了活动。",
    "鲁纺、鲁药、鲁瓷等商业品牌。",  # a list, but not of companies
]


@pytest.mark.parametrize("sentence", NOT_FIGURES)
def test_not_figures(sentence: str) -> None:
    assert extract(sentence) == []


def test_a_list_of_companies_ending_in_deng_is_counted() -> None:
    text = "当天，魏桥纺织、华纺股份、亚光家纺、愉悦家纺、东方地毯等滨州纺织企业界代表签约入驻。"
    (candidate,) = extract(text)
    assert candidate.raw == "魏桥纺织、华纺股份、亚光家纺、愉悦家纺、东方地毯等"
    assert (candidate.value, candidate.unit, candidate.qualifier) == (5.0, "company", "at_least")
    assert candidate.derivation == "enumerated"


def test_a_list_counts_names_joined_by_he_as_the_validator_does() -> None:
    (candidate,) = extract("甲公司、乙公司和丙公司等企业签约入驻。")
    assert (candidate.raw, candidate.value) == ("甲公司、乙公司和丙公司等", 3.0)


def test_a_list_with_a_stated_count_gives_only_the_count() -> None:
    text = "以北京熠辉旺达科技有限公司、上海治信实业发展有限公司等为代表的10家企业签署了协议。"
    assert [c.raw for c in extract(text)] == ["10家"]


def test_contradictory_wording_claims_no_more_than_approx() -> None:
    (candidate,) = extract("入驻企业超过了100家左右。")
    assert (candidate.raw, candidate.qualifier) == ("100家左右", "approx")


def test_offsets_and_quotes(found: dict[str, list[Candidate]], dataset: metrics.Dataset) -> None:
    texts = [(dataset.texts[s], found[s]) for s in found]
    texts += [(row[0], extract(row[0])) for row in PHRASINGS]
    for text, candidates in texts:
        for c in candidates:
            assert text[c.start : c.end] == c.raw
            assert c.quote == c.quote.strip() and c.raw in c.quote
            around = range(max(0, c.end - len(c.quote)), c.start + 1)
            assert any(text.startswith(c.quote, at) for at in around), (c.raw, c.quote)
            assert not any(end in c.quote for end in "。！？；\n")


def test_the_quote_is_the_whole_sentence() -> None:
    text = "第一句。截至本月25日，在滁相关企业在京东销售额已达到3.55亿元；第三句"
    (candidate,) = extract(text)
    assert candidate.quote == "截至本月25日，在滁相关企业在京东销售额已达到3.55亿元"


def test_candidates_frame_round_trips_through_csv(
    found: dict[str, list[Candidate]], tmp_path: pytest.TempPathFactory
) -> None:
    candidates = [c for source in sorted(found) for c in found[source]]
    candidates += extract("预计带动投资3至5亿元。")  # a value_max, which the reports lack
    frame = candidates_frame(candidates)
    assert tuple(frame.columns) == CANDIDATE_COLUMNS
    assert CANDIDATE_COLUMNS[:9] == (
        "raw",
        "value",
        "value_max",
        "unit",
        "qualifier",
        "derivation",
        "quote",
        "start",
        "end",
    )
    path = tmp_path / "candidates.csv"
    frame.to_csv(path, index=False)
    text_columns = {c: str for c in CANDIDATE_COLUMNS if frame[c].dtype == object}
    back = pd.read_csv(
        path, dtype=text_columns, keep_default_na=False, na_values={"value_max": [""]}
    )
    pd.testing.assert_frame_equal(back, frame)
    assert frame["value_max"].notna().sum() == 1


def test_candidates_frame_of_nothing_has_the_columns_and_types() -> None:
    frame = candidates_frame([])
    assert tuple(frame.columns) == CANDIDATE_COLUMNS and frame.empty
    assert frame["value"].dtype == "float64" and frame["start"].dtype == "int64"
    assert frame["date_inferred"].dtype == bool


def _one(candidates: list[Candidate], raw: str) -> Candidate:
    return next(c for c in candidates if c.raw == raw)


def test_guesses_for_the_chuzhou_report(found: dict[str, list[Candidate]]) -> None:
    candidates = found[CHUZHOU]
    festival = _one(candidates, "1.3572亿元")
    assert (festival.metric, festival.city, festival.industry) == ("campaign_sales", "滁州", "家电")
    assert (festival.period_start, festival.period_end) == ("--05-01", "--05-31")
    assert festival.period_precision == "month" and festival.date_inferred

    sales = _one(candidates, "3.55亿元")  # the first, stated, one
    assert (sales.metric, sales.city, sales.industry) == ("campaign_sales", "滁州", "食品|家电")
    assert "names most often" in sales.city_reason
    assert "preceding sentence" in sales.industry_reason
    assert (sales.period_start, sales.period_end, sales.period_precision) == (
        "--06-01",
        "--06-25",
        "day",
    )
    assert sales.date_inferred
    assert "截至本月25日" in sales.period_reason and "一进入6月" in sales.period_reason
    assert "no year" in sales.period_reason

    signed = _one(candidates, "10家")
    assert (signed.metric, signed.city, signed.industry) == ("companies_signed", "滁州", "数字经济")
    assert (signed.period_start, signed.period_precision) == ("--06-26", "day")

    assert _one(candidates, "三家").metric == "companies_participating"


def test_report_date_gives_the_year(dataset: metrics.Dataset) -> None:
    text = dataset.texts[CHUZHOU]
    candidates = extract(text, report_date=date(2018, 6, 26))
    sales = _one(candidates, "3.55亿元")
    assert (sales.period_start, sales.period_end) == ("2018-06-01", "2018-06-25")
    assert sales.date_inferred and "report_date" in sales.period_reason


def test_guesses_for_the_binzhou_report(found: dict[str, list[Candidate]]) -> None:
    candidates = found[BINZHOU]
    target = _one(candidates, "1300亿级")
    assert (target.metric, target.city, target.industry) == ("output_target", "滨州", "纺织")
    assert (target.period_start, target.period_end, target.period_precision) == (
        "2016-01-01",
        "2020-12-31",
        "plan_period",
    )
    assert not target.date_inferred

    cluster = _one(candidates, "超千亿")
    assert (cluster.metric, cluster.city, cluster.industry) == ("industry_output", "滨州", "纺织")
    assert (cluster.period_start, cluster.period_end) == ("2018-01-01", "2018-12-31")
    assert cluster.date_inferred and "2018年首届" in cluster.period_reason

    (listed,) = [c for c in candidates if c.derivation == "enumerated"]
    assert (listed.metric, listed.city, listed.industry) == ("companies_signed", "滨州", "纺织")
    assert (listed.period_start, listed.period_end) == ("2018-05-15", "2018-05-15")
    assert not listed.date_inferred


REPORT_DAY = date(2018, 6, 26)
# (text, report_date, period_start, period_end, precision, date_inferred)
PERIODS = [
    ("2017年5月，双方签约10家企业。", None, "2017-05-01", "2017-05-31", "month", False),
    ("2017年，基地签约10家企业。", None, "2017-01-01", "2017-12-31", "year", False),
    ("“十四五”期间打造500亿级产业集群。", None, "2021-01-01", "2025-12-31", "plan_period", False),
    ("今年5月，销售额达1亿元。", REPORT_DAY, "2018-05-01", "2018-05-31", "month", True),
    ("今年5月，销售额达1亿元。", None, "--05-01", "--05-31", "month", True),
    ("去年销售额达1亿元。", REPORT_DAY, "2017-01-01", "2017-12-31", "year", True),
    ("销售额达1亿元。", REPORT_DAY, "2018-01-01", "2018-12-31", "year", True),
    ("销售额达1亿元。", None, "", "", "", False),
    ("5月15日，2018年首届产业节签约10家企业。", None, "2018-05-15", "2018-05-15", "day", False),
    (
        "5月15日，2018年首届产业节开幕。当天签约10家企业。",
        None,
        "2018-05-15",
        "2018-05-15",
        "day",
        False,
    ),
    ("6月26日，大会召开。当天签约10家企业。", None, "--06-26", "--06-26", "day", True),
    ("6月26日，大会召开。当天签约10家企业。", REPORT_DAY, "2018-06-26", "2018-06-26", "day", True),
    (
        "2018年6月26日，大会召开。5月以来，截至6月25日，销售额达3亿元。",
        None,
        "2018-05-01",
        "2018-06-25",
        "day",
        False,
    ),
    ("截至本月25日，销售额达3亿元。", REPORT_DAY, "2018-06-01", "2018-06-25", "day", True),
    ("2月，销售额达3亿元。", None, "--02-01", "--02-29", "month", True),
]


@pytest.mark.parametrize(
    ("text", "report_date", "start", "end", "precision", "inferred"),
    PERIODS,
    ids=[f"{row[0][:12]}-{row[1]}" for row in PERIODS],
)
def test_periods(
    text: str,
    report_date: date | None,
    start: str,
    end: str,
    precision: str,
    inferred: bool,
) -> None:
    (candidate,) = extract(text, report_date=report_date)
    assert (candidate.period_start, candidate.period_end) == (start, end)
    assert (candidate.period_precision, candidate.date_inferred) == (precision, inferred)
    assert candidate.period_reason
    if inferred:
        assert "report_date" in candidate.period_reason or "no year" in (candidate.period_reason)


def test_guesses_name_only_rows_of_the_tables_given() -> None:
    text = "滁州今年5月销售额达1亿元，食品企业10家签约入驻。"
    bare = extract(text)
    assert all((c.metric, c.city, c.industry) == ("", "", "") for c in bare)
    assert all(c.metric_reason and c.city_reason and c.industry_reason for c in bare)
    only_output = extract(text, cities={"滨州": "山东"}, metrics=["industry_output"])
    assert all((c.metric, c.city) == ("", "") for c in only_output)
    full = extract(
        text,
        cities={"滁州": "安徽"},
        industries=["食品"],
        metrics=["campaign_sales", "companies_signed"],
    )
    assert [(c.raw, c.metric, c.city, c.industry) for c in full] == [
        ("1亿元", "campaign_sales", "滁州", "食品"),
        ("10家", "companies_signed", "滁州", "食品"),
    ]


def test_industry_words_map_to_the_industry() -> None:
    text = "家纺和服装企业、空调与电视企业销售额达1亿元。"
    (candidate,) = extract(text, industries=["食品", "家电", "纺织"])
    assert candidate.industry == "家电|纺织"  # in the order of the industries table
    assert "家纺" in candidate.industry_reason and "空调" in candidate.industry_reason


def test_the_nearest_keyword_decides_the_metric() -> None:
    # 销售 is nearer than 目标: the amount is the sales that exceeded a target, not a target.
    text = "三家企业的销售总额就达到1.3572亿元，远超了活动预期目标。"
    metric_ids = ["campaign_sales", "output_target", "companies_participating"]
    sales, companies = sorted(extract(text, metrics=metric_ids), key=lambda c: c.unit)
    assert (sales.raw, sales.metric) == ("1.3572亿元", "campaign_sales")
    assert (companies.raw, companies.metric) == ("三家", "companies_participating")
    assert "销售" in sales.metric_reason


def test_the_nearest_city_in_the_sentence_wins() -> None:
    text = "滨州代表团参观了滁州的10家企业。"
    (candidate,) = extract(text, cities={"滁州": "安徽", "滨州": "山东"})
    assert candidate.city == "滁州" and "安徽" in candidate.city_reason
