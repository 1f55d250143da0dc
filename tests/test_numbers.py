"""Tests for metrics.numbers, built from phrasings found in the regional reports."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.errors import NumberParseError
from metrics.numbers import (
    QUALIFIERS,
    ParsedNumber,
    Qualifier,
    Quantity,
    count_listed_names,
    detect_qualifier,
    find_number_phrases,
    fold_width,
    format_value,
    parse_number,
    parse_quantity,
)

# (raw, value, counter, qualifier); values compared with == because normalization must be exact.
PARSE_CASES = [
    # Figures quoted in the reports.
    ("1.3572亿元", 135_720_000.0, "元", "exact"),
    ("3.55亿元", 355_000_000.0, "元", "exact"),
    ("1300亿级", 130_000_000_000.0, None, "approx"),
    ("超千亿", 100_000_000_000.0, None, "more_than"),
    ("千亿级", 100_000_000_000.0, None, "approx"),
    ("10家", 10.0, "家", "exact"),
    ("三家", 3.0, "家", "exact"),
    ("十家", 10.0, "家", "exact"),
    ("1.4万家", 14_000.0, "家", "exact"),
    ("640余家", 640.0, "家", "more_than"),
    ("１０家", 10.0, "家", "exact"),
    ("千亿", 100_000_000_000.0, None, "exact"),
    ("两个", 2.0, "个", "exact"),
    # Arabic numbers, separators, full-width forms, magnitudes.
    ("1,300亿", 130_000_000_000.0, None, "exact"),
    ("3.55亿", 355_000_000.0, None, "exact"),
    ("３．５５亿元", 355_000_000.0, "元", "exact"),
    ("１，３００亿元", 130_000_000_000.0, "元", "exact"),
    ("1300亿", 130_000_000_000.0, None, "exact"),
    ("5000元", 5_000.0, "元", "exact"),
    ("2.5万元", 25_000.0, "元", "exact"),
    ("1.2万亿元", 1_200_000_000_000.0, "元", "exact"),
    ("1,234,567.5元", 1_234_567.5, "元", "exact"),
    (" 10家 ", 10.0, "家", "exact"),
    # Bare 千/百 before 万/亿, which cn2an refuses.
    ("百亿", 10_000_000_000.0, None, "exact"),
    ("千万", 10_000_000.0, None, "exact"),
    ("百万元", 1_000_000.0, "元", "exact"),
    # Chinese numerals through cn2an.
    ("一千", 1_000.0, None, "exact"),
    ("一百二十人", 120.0, "人", "exact"),
    ("二十五项", 25.0, "项", "exact"),
    ("两批", 2.0, "批", "exact"),
    ("三千五百万元", 35_000_000.0, "元", "exact"),
    ("十二万三千人", 123_000.0, "人", "exact"),
    # Qualifier prefixes.
    ("约1300亿元", 130_000_000_000.0, "元", "approx"),
    ("近百亿", 10_000_000_000.0, None, "approx"),
    ("超过3.55亿元", 355_000_000.0, "元", "more_than"),
    ("逾十家", 10.0, "家", "more_than"),
    ("突破1万亿元", 1_000_000_000_000.0, "元", "more_than"),
    ("不少于5家", 5.0, "家", "at_least"),
    ("达3.55亿元", 355_000_000.0, "元", "exact"),
    ("达到1.3572亿元", 135_720_000.0, "元", "exact"),
    # Qualifier suffixes, before and after the counter.
    ("100多家", 100.0, "家", "more_than"),
    ("十多个", 10.0, "个", "more_than"),
    ("5家以上", 5.0, "家", "at_least"),
    ("5万元以上", 50_000.0, "元", "at_least"),
    ("100亿左右", 10_000_000_000.0, None, "approx"),
    ("千亿元级", 100_000_000_000.0, "元", "approx"),
    # Prefix and suffix agreeing (redundant but unambiguous).
    ("约100家左右", 100.0, "家", "approx"),
    ("超过100余家", 100.0, "家", "more_than"),
    # An exact word never overrides a bound.
    ("达到千亿级", 100_000_000_000.0, None, "approx"),
    # 余/多 between the number and its magnitude: more than the number in that magnitude.
    ("300余万元", 3_000_000.0, "元", "more_than"),
    ("20多亿元", 2_000_000_000.0, "元", "more_than"),
    ("30多万人", 300_000.0, "人", "more_than"),
    ("1.2余万亿元", 1_200_000_000_000.0, "元", "more_than"),
    # A place word alone is a number after a bound word: 超万家, 上百家.
    ("超万家", 10_000.0, "家", "more_than"),
    ("过亿元", 100_000_000.0, "元", "more_than"),
    ("逾千万元", 10_000_000.0, "元", "more_than"),
    ("上百家", 100.0, "家", "at_least"),
    ("上千人", 1_000.0, "人", "at_least"),
    ("上亿元", 100_000_000.0, "元", "at_least"),
    ("近万人", 10_000.0, "人", "approx"),
    ("过百个", 100.0, "个", "more_than"),
]


@pytest.mark.parametrize(("raw", "value", "counter", "qualifier"), PARSE_CASES)
def test_parse_number(raw: str, value: float, counter: str | None, qualifier: str) -> None:
    assert parse_number(raw) == ParsedNumber(value=value, counter=counter, qualifier=qualifier)


def test_parse_number_result_is_float() -> None:
    assert type(parse_number("十家").value) is float
    assert type(parse_number("1.3572亿元").value) is float


def test_parsed_number_is_frozen() -> None:
    parsed = parse_number("10家")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.value = 11.0  # type: ignore[misc]


def test_qualifiers_constant_matches_literal() -> None:
    assert get_args(Qualifier) == QUALIFIERS


REJECTED = [
    "",
    "   ",
    "abc",
    "亿",
    "万亿",
    "元",
    "家",
    "千",  # bare 千 only counts before 万/亿
    "万家",  # a place word alone is a number only after a bound word (and 万家 is a name)
    "达到万人",  # 达到 states, it does not bound
    "超万",  # a place word alone needs its unit word too
    "余万元",
    "三至五亿元",  # a range is two numbers
    "3-5亿元",
    "3.55亿元和1.3572亿元",
    "10家企业",  # trailing text
    "1300亿级纺织产业集群",
    "1,30亿",  # misplaced thousands separator
    "1.3.5亿",
    "-5家",
    "3千万",  # Arabic digit with 千 is not a magnitude we read
    "十十",
    "二〇二二",  # digits one by one: a year, not a quantity
    "一二三家",
    "约",
    "10家家",
    "10公里",  # unknown unit word
    "2.86%",
    # Read by parse_quantity only: no curated unit measures them.
    "3倍",
    "500亩",
    "12万平方米",
    "3亿人民币",
]


@pytest.mark.parametrize("raw", REJECTED)
def test_parse_number_rejects(raw: str) -> None:
    with pytest.raises(NumberParseError) as excinfo:
        parse_number(raw)
    assert repr(raw) in str(excinfo.value)
    assert "expected" in str(excinfo.value)


@pytest.mark.parametrize("raw", ["约640余家", "超过100家左右", "100余家以上", "近5家以上"])
def test_parse_number_rejects_contradictory_qualifiers(raw: str) -> None:
    with pytest.raises(NumberParseError, match="ambiguous") as excinfo:
        parse_number(raw)
    assert raw in str(excinfo.value)


def test_number_parse_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        parse_number("abc")


ENUMERATION = "魏桥纺织、华纺股份、亚光家纺、愉悦家纺、东方地毯等"

DETECT_CASES = [
    # Sentences from the reports.
    ("在京东的销售总额就达到", "1.3572亿元", "，远超了活动预期目标", "exact"),
    ("在滁相关企业在京东销售额已达到", "3.55亿元", "。", "exact"),
    ("滨州拱卫起了“全国", "超千亿", "产值纺织产业集群地区", "more_than"),
    ("滨州市委、市政府提出了“打造", "1300亿级", "纺织产业集群”的目标", "approx"),
    ("当天，", ENUMERATION, "滨州纺织企业", "at_least"),
    ("苏州市山水丝绸有限公司等为代表的", "10家", "企业", "exact"),
    ("仅康佳白电、扬子空调、KKTV", "三家", "滁州企业", "exact"),
    # Only the tail of `before` counts: 近 in 近年来 is too far from the number.
    ("近年来滁州", "5家", "", "exact"),
    ("超过了全国", "10家", "", "exact"),
    ("全市接近", "10家", "企业", "approx"),
    ("近年来全市已有约", "10家", "", "approx"),
    ("销售额超过了", "3亿元", "", "more_than"),
    ("销售额突破", "3亿元", "", "more_than"),
    ("入驻企业约有", "100家", "", "approx"),
    ("入驻企业逾", "100家", "", "more_than"),
    ("入驻企业不少于", "100家", "", "at_least"),
    ("入驻企业达", "100家", "", "exact"),
    # Words that merely end in 约/近 are not bounds.
    ("现场签约", "15个", "项目", "exact"),
    ("园区附近", "3家", "物流企业", "exact"),
    # Words at the start of `after`.
    ("带动", "5家", "以上企业入驻", "at_least"),
    ("年销售额", "100亿元", "左右", "approx"),
    ("吸引", "640", "余家企业", "more_than"),
    ("吸引", "100", "多家企业", "more_than"),
    ("吸引", "100家", "，企业以上", "exact"),  # 以上 not adjacent
    # Exact words never override a bound elsewhere.
    ("产值达到", "超千亿", "", "more_than"),
    ("就达到", "100亿元", "以上", "at_least"),
    # Full-width context is normalized like the phrase.
    ("总额约 ", "１００亿元", "", "approx"),
    # raw that is not a number phrase: only the context speaks, and nothing is raised.
    ("推出一批", "高品质鲁纺", "商业品牌", "exact"),
    ("共有超过", "数十", "家企业", "more_than"),
]


@pytest.mark.parametrize(("before", "raw", "after", "expected"), DETECT_CASES)
def test_detect_qualifier(before: str, raw: str, after: str, expected: str) -> None:
    assert detect_qualifier(before, raw, after) == expected


def test_detect_qualifier_after_defaults_to_empty() -> None:
    assert detect_qualifier("产值约", "1300亿元") == "approx"


@pytest.mark.parametrize(
    ("before", "raw", "after"),
    [
        ("约", "640余家", ""),  # contradiction inside raw surfaces too
        ("超过", "100家", "左右"),
        ("约", "100家", "以上"),
        ("不少于", "超千亿", ""),
        ("超过", ENUMERATION, ""),
    ],
)
def test_detect_qualifier_rejects_ambiguous_wording(before: str, raw: str, after: str) -> None:
    with pytest.raises(NumberParseError, match="ambiguous") as excinfo:
        detect_qualifier(before, raw, after)
    assert raw in str(excinfo.value)


ZH_CNY = {"lang": "zh", "unit_zh": "元", "unit_en": "CNY"}
EN_CNY = {"lang": "en", "unit_zh": "元", "unit_en": "CNY"}
ZH_FIRMS = {"lang": "zh", "unit_zh": "家", "unit_en": "companies"}
EN_FIRMS = {"lang": "en", "unit_zh": "家", "unit_en": "companies"}

FORMAT_CASES = [
    # (value, unit_kind, language/unit kwargs, extra kwargs, expected)
    (135_720_000.0, "currency", ZH_CNY, {}, "1.36亿元"),
    (355_000_000.0, "currency", ZH_CNY, {}, "3.55亿元"),
    (1.3e11, "currency", ZH_CNY, {}, "1300亿元"),
    (5_000.0, "currency", ZH_CNY, {}, "5000元"),
    (14_000.0, "currency", ZH_CNY, {}, "1.4万元"),
    (1.2e12, "currency", ZH_CNY, {}, "1.2万亿元"),
    (135_720_000.0, "currency", EN_CNY, {}, "CNY 135.7 million"),
    (1.3e11, "currency", EN_CNY, {}, "CNY 130 billion"),
    (355_000_000.0, "currency", EN_CNY, {}, "CNY 355 million"),
    (5_000.0, "currency", EN_CNY, {}, "CNY 5,000"),
    (14_000.0, "currency", EN_CNY, {}, "CNY 14,000"),
    (1.2e12, "currency", EN_CNY, {}, "CNY 1.2 trillion"),
    (10.0, "count", ZH_FIRMS, {}, "10家"),
    (10.0, "count", EN_FIRMS, {}, "10 companies"),
    (640.0, "count", EN_FIRMS, {}, "640 companies"),
    (0.0286, "percent", ZH_CNY, {}, "2.86%"),
    (0.0286, "percent", EN_CNY, {}, "2.86%"),
    # Each qualifier, both languages.
    (1e11, "currency", ZH_CNY, {"qualifier": "more_than"}, ">1000亿元"),
    (1e11, "currency", EN_CNY, {"qualifier": "more_than"}, ">CNY 100 billion"),
    (5.0, "count", ZH_FIRMS, {"qualifier": "at_least"}, "≥5家"),
    (5.0, "count", EN_FIRMS, {"qualifier": "at_least"}, "≥5 companies"),
    (1.3e11, "currency", ZH_CNY, {"qualifier": "approx"}, "~1300亿元"),
    (1.3e11, "currency", EN_CNY, {"qualifier": "approx"}, "~CNY 130 billion"),
    (10.0, "count", ZH_FIRMS, {"qualifier": "exact"}, "10家"),
    (0.0286, "percent", EN_CNY, {"qualifier": "approx"}, "~2.86%"),
    # Targets.
    (1.3e11, "currency", ZH_CNY, {"qualifier": "approx", "target": True}, "目标 ~1300亿元"),
    (
        1.3e11,
        "currency",
        EN_CNY,
        {"qualifier": "approx", "target": True},
        "Target ~CNY 130 billion",
    ),
    (10.0, "count", ZH_FIRMS, {"target": True}, "目标 10家"),
    # Sums with approximate parts: a bound says so in words, never two symbols run together.
    (
        1.5e10,
        "currency",
        ZH_CNY,
        {"qualifier": "at_least", "approximate": True},
        "≥150亿元（含约数）",
    ),
    (
        1.5e10,
        "currency",
        EN_CNY,
        {"qualifier": "more_than", "approximate": True},
        ">CNY 15 billion (incl. approx.)",
    ),
    (1.5e10, "currency", ZH_CNY, {"approximate": True}, "~150亿元"),
    (1.5e10, "currency", ZH_CNY, {"qualifier": "approx", "approximate": True}, "~150亿元"),
    (
        1.5e10,
        "currency",
        EN_CNY,
        {"qualifier": "at_least", "approximate": True, "target": True},
        "Target ≥CNY 15 billion (incl. approx.)",
    ),
]


@pytest.mark.parametrize(("value", "unit_kind", "units", "extra", "expected"), FORMAT_CASES)
def test_format_value(
    value: float, unit_kind: str, units: dict[str, str], extra: dict[str, object], expected: str
) -> None:
    assert format_value(value, unit_kind, **units, **extra) == expected


@pytest.mark.parametrize("missing", [math.nan, None])
@pytest.mark.parametrize("units", [ZH_CNY, EN_CNY])
def test_format_value_missing(missing: float | None, units: dict[str, str]) -> None:
    assert format_value(missing, "currency", **units, qualifier="more_than", target=True) == "—"


def test_format_round_trips_parsed_phrase() -> None:
    parsed = parse_number("超千亿")
    assert format_value(parsed.value, "currency", **ZH_CNY, qualifier=parsed.qualifier) == (
        ">1000亿元"
    )


@pytest.mark.parametrize(
    ("unit_kind", "kwargs"),
    [
        ("currency", {"lang": "fr", "unit_zh": "元", "unit_en": "CNY"}),
        ("weight", ZH_CNY),
        ("currency", {**ZH_CNY, "qualifier": "roughly"}),
    ],
)
def test_format_value_rejects_unknown_options(unit_kind: str, kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        format_value(1.0, unit_kind, **kwargs)


def test_format_value_rejects_unknown_lang_even_for_missing_value() -> None:
    with pytest.raises(ValueError, match="lang"):
        format_value(math.nan, "currency", lang="de", unit_zh="元", unit_en="CNY")


def test_format_value_rejects_infinity() -> None:
    with pytest.raises(ValueError, match="infinite"):
        format_value(math.inf, "currency", **EN_CNY)


@given(
    digits=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99999"), places=4),
    magnitude=st.sampled_from([("", 1), ("万", 10**4), ("亿", 10**8), ("万亿", 10**12)]),
    counter=st.sampled_from(["元", "家", ""]),
    width=st.sampled_from(["half", "full"]),
)
def test_any_written_amount_parses_back_to_its_value(digits, magnitude, counter, width):
    text = format(digits.normalize(), "f") + magnitude[0] + counter
    if width == "full":  # the same figure typed with full-width digits
        text = text.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    parsed = parse_number(text)
    assert parsed.value == float(digits * magnitude[1])
    assert parsed.counter == (counter or None)
    assert parsed.qualifier == "exact"


# (raw, value, value_max, counter, qualifier): what extraction meets beyond parse_number.
QUANTITY_CASES = [
    ("1.3572亿元", 135_720_000.0, None, "元", "exact"),  # everything parse_number reads
    ("640余家", 640.0, None, "家", "more_than"),
    ("3至5亿元", 3e8, 5e8, "元", "at_least"),  # 亿 written once applies to both ends
    ("3-5亿元", 3e8, 5e8, "元", "at_least"),
    ("3～5亿元", 3e8, 5e8, "元", "at_least"),
    ("3~5亿元", 3e8, 5e8, "元", "at_least"),
    ("3亿至5亿元", 3e8, 5e8, "元", "at_least"),
    ("1.5到2万亿元", 1.5e12, 2e12, "元", "at_least"),
    ("三至五家", 3.0, 5.0, "家", "at_least"),
    ("三千至五千万元", 3e7, 5e7, "元", "at_least"),  # 3000万 to 5000万
    ("十万至二十万", 1e5, 2e5, None, "at_least"),
    ("3至5家以上", 3.0, 5.0, "家", "at_least"),
    ("2.86%", 0.0286, None, "%", "exact"),
    ("１２．５％", 0.125, None, "%", "exact"),
    ("3%", 0.03, None, "%", "exact"),
    ("5至10%", 0.05, 0.1, "%", "at_least"),
    ("3倍", 3.0, None, "倍", "exact"),
    ("500亩左右", 500.0, None, "亩", "approx"),
    ("12万平方米", 120_000.0, None, "平方米", "exact"),
    ("1.5亿人民币", 1.5e8, None, "人民币", "exact"),
    ("3亿人", 3e8, None, "人", "exact"),  # 人民币 is not 人
]


@pytest.mark.parametrize(("raw", "value", "value_max", "counter", "qualifier"), QUANTITY_CASES)
def test_parse_quantity(
    raw: str, value: float, value_max: float | None, counter: str | None, qualifier: str
) -> None:
    assert parse_quantity(raw) == Quantity(value, value_max, counter, qualifier)


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "5至3家", "3至3家", "3至", "至5家", "3%至5%", "10公里", "3至5至7家", "-5家"],
)
def test_parse_quantity_rejects(raw: str) -> None:
    with pytest.raises(NumberParseError) as excinfo:
        parse_quantity(raw)
    assert repr(raw) in str(excinfo.value)
    assert "expected" in str(excinfo.value)


def test_parse_quantity_rejects_a_bounded_range() -> None:
    # A range is at least its low end; 约 claims it is about one value: the words disagree.
    with pytest.raises(NumberParseError, match="ambiguous"):
        parse_quantity("约3至5亿元")


def test_detect_qualifier_reads_ranges() -> None:
    assert detect_qualifier("预计投资", "3至5亿元", "。") == "at_least"
    with pytest.raises(NumberParseError, match="ambiguous"):
        detect_qualifier("投资约", "3至5亿元")


@given(
    low=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999"), places=2),
    step=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999"), places=2),
    separator=st.sampled_from(["至", "到", "-", "～", "~"]),
    magnitude=st.sampled_from([("", 1), ("万", 10**4), ("亿", 10**8)]),
)
def test_any_written_range_parses_to_both_ends(low, step, separator, magnitude):
    high = low + step
    text = f"{format(low.normalize(), 'f')}{separator}{format(high.normalize(), 'f')}"
    parsed = parse_quantity(text + magnitude[0] + "元")
    assert parsed.value == float(low * magnitude[1])
    assert parsed.value_max == float(high * magnitude[1])
    assert parsed.qualifier == "at_least"


# (text, the raw strings found): a verb that only states the number is left out, a bound stays.
FIND_CASES = [
    ("销售总额就达到1.3572亿元，远超了活动预期目标", ["1.3572亿元"]),
    ("全国超千亿产值纺织产业集群", ["超千亿"]),
    ("现场签约10家企业", ["10家"]),  # 约 ends 签约
    ("入驻企业约100家", ["约100家"]),
    ("附近3家物流企业", ["3家"]),  # 近 ends 附近
    ("入驻企业不少于5家", ["不少于5家"]),
    ("投资3至5亿元，带动就业2000人", ["3至5亿元", "2000人"]),
    ("本次签约企业１０家", ["１０家"]),
    ("2017年5月", ["2017", "5"]),  # found; the caller judges they are dates
    ("没有数字", []),
    ("销售额300余万元，带动20多亿元", ["300余万元", "20多亿元"]),
    ("超万家企业入驻，上百家商户参加", ["超万家", "上百家"]),
    ("线上万家店铺同步开售", []),  # 上 ends 线上: 万家 alone is no number
    ("培育年销售额过亿的企业", []),  # a kind of company, not a figure
    ("通过5家平台，经过3年", ["5家", "3"]),  # 过 ends 通过 and 经过
]


@pytest.mark.parametrize(("text", "raws"), FIND_CASES)
def test_find_number_phrases(text: str, raws: list[str]) -> None:
    assert [text[a:b] for a, b in find_number_phrases(text)] == raws


def test_every_phrase_found_parses() -> None:
    text = "；".join(case[0] for case in FIND_CASES)
    for start, end in find_number_phrases(text):
        parse_quantity(text[start:end])


def test_fold_width_keeps_every_offset() -> None:
    text = "签约１０家，增长１２．５％，３～５亿元　共计"
    folded = fold_width(text)
    assert len(folded) == len(text)
    assert folded == "签约10家,增长12.5%,3~5亿元 共计"


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        ("魏桥纺织、华纺股份、亚光家纺、愉悦家纺、东方地毯等", 5),
        ("甲公司、乙公司和丙公司等", 3),
        ("甲公司，乙公司及丙公司等", 3),
        ("甲公司等", 1),
        ("甲公司、、乙公司等", 2),
    ],
)
def test_count_listed_names(raw: str, count: int) -> None:
    assert count_listed_names(raw) == count
