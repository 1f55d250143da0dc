"""Reading number phrases from Chinese reports and showing normalized values again.

The reports write figures the way journalists do — "1.3572亿元", "超千亿", "640余家", "十家" —
and the wording around a figure matters as much as its digits: "超千亿" is a lower bound, not
a value. This module turns such a phrase into a value in base units plus the qualifier the
wording implies, and formats values back for the dashboard in Chinese or English. It refuses
anything it cannot read unambiguously instead of guessing, because a wrong figure on the
dashboard is worse than a missing one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np
from babel import Locale
from babel.numbers import format_compact_decimal, format_decimal, format_percent

from metrics.errors import NumberParseError

Qualifier = Literal["exact", "at_least", "more_than", "approx"]
QUALIFIERS: tuple[str, ...] = ("exact", "at_least", "more_than", "approx")


def sum_qualifiers(
    more: np.ndarray, least: np.ndarray, approx: np.ndarray, missing: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The qualifier of each sum and whether that bound is also approximate, given per sum
    whether any part is ``more_than``, ``at_least`` or ``approx``, and whether it has no value.

    Sum of exact parts is exact; any ``more_than`` part makes the sum ``more_than``; else any
    ``at_least`` part makes it ``at_least``; else any ``approx`` part makes it ``approx``. A bound
    with approximate parts keeps the bound and is marked approximate. No value: exact, not
    approximate (there is nothing to qualify).
    """
    bound = np.where(more, "more_than", np.where(least, "at_least", ""))
    qualifier = np.where(bound != "", bound, np.where(approx, "approx", "exact"))
    approximate = (bound != "") & approx & ~missing
    return np.where(missing, "exact", qualifier), approximate


@dataclass(frozen=True)
class ParsedNumber:
    """One number phrase as read from a report.

    ``value`` is in base units (元, 家, ...), so figures written with different magnitudes
    compare directly; ``counter`` is the unit word as written, or ``None`` when the phrase has
    none; ``qualifier`` comes only from words inside the phrase itself.
    """

    value: float
    counter: str | None
    qualifier: Qualifier


@dataclass(frozen=True)
class Quantity:
    """One number phrase read with the wider grammar of :func:`parse_quantity`.

    Extraction meets phrases the curated figures never need — ranges (3至5亿元), percentages,
    multiples, areas — and must still read them exactly. ``value`` is in base units (a percent as
    a fraction: 2.86% is 0.0286); for a range it is the low end and ``value_max`` the high end,
    else ``value_max`` is ``None``. ``counter`` and ``qualifier`` are as in :class:`ParsedNumber`.
    """

    value: float
    value_max: float | None
    counter: str | None
    qualifier: Qualifier


# Qualifier words; every lookup tries longer words first, so 超过 wins over 超 and 达到 over 达.
_PREFIX_WORDS: dict[str, Qualifier] = {
    "不少于": "at_least",
    "超过": "more_than",
    "突破": "more_than",
    "达到": "exact",
    "约": "approx",
    "近": "approx",
    "超": "more_than",
    "逾": "more_than",
    "过": "more_than",
    "达": "exact",
}
# 上 bounds a number only as 上百, 上千, 上万, 上亿 ("as many as a hundred and more"): before
# anything else it is a word of its own (线上, 比上年).
_PLACE_PREFIXES: dict[str, Qualifier] = {"上": "at_least"}
_BOUND_WORDS = {**_PREFIX_WORDS, **_PLACE_PREFIXES}
_SUFFIX_WORDS: dict[str, Qualifier] = {
    "以上": "at_least",
    "左右": "approx",
    "余": "more_than",
    "多": "more_than",
    "级": "approx",
}
# Context words may carry an adverb (已/就) that the phrase itself never starts with.
_BEFORE_WORDS: dict[str, Qualifier] = {"已达到": "exact", "就达到": "exact", **_PREFIX_WORDS}
_BEFORE_WORDS_LONGEST_FIRST = sorted(_BEFORE_WORDS, key=len, reverse=True)
_AFTER_WORDS: dict[str, Qualifier] = {
    word: qualifier for word, qualifier in _SUFFIX_WORDS.items() if word != "级"
}
# A single-character bound word that is really the end of another word: 签约 (signed a
# contract with) or 附近 (nearby) say nothing about the size of the number that follows.
_NOT_A_BOUND_AFTER: dict[str, str] = {
    "约": "签合条履预特公节制契邀",
    "近": "附最邻亲",
    "过": "通经超越跨度不错路",
    "上": "线网马以之加",
}
# Particles that may sit between a bound word and the number: 超过了, 约有.
_FILLERS = "了有"
_BEFORE_TAIL = 4

_MAGNITUDES: dict[str, Decimal] = {
    "万亿": Decimal(10) ** 12,
    "亿": Decimal(10) ** 8,
    "万": Decimal(10) ** 4,
}
# A place word standing for the number itself, read only after a bound word and before a unit
# word: 超万家 is more than ten thousand companies, 上百家 at least a hundred; 万 or 亿 alone is
# no number, and 销售额过亿的企业 names a kind of company, not a figure.
_BARE_PLACES: dict[str, Decimal] = {"百": Decimal(100), "千": Decimal(1000), **_MAGNITUDES}
_COUNTERS = "元家个项人批"
# Unit words only parse_quantity reads: the curated units are money and companies, but a report
# also measures land, floor space, shares and multiples. 人民币 is listed so that 3亿人民币 is
# money, not 3亿 people.
_QUANTITY_COUNTERS = (*_COUNTERS, "平方米", "人民币", "亩", "%", "倍")
# Between the two ends of a range, after NFKC folding (～ -> ~, － -> -).
_RANGE_SEPARATORS = "至到~〜–—-"
# The characters of Chinese numerals, public so that callers can tell a numeral (两, 一千) from
# the words around it.
CHINESE_DIGITS = "零〇一二两三四五六七八九"
CHINESE_PLACES = "十百千万亿"


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


def _number(side: str) -> str:
    """One number of a phrase; ``side`` prefixes the group names of a range's high end."""
    return rf"""
    (?:
        (?P<{side}arabic>[0-9]{{1,3}}(?:,[0-9]{{3}})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)
        (?:(?P<{side}inner>余|多)(?={_alternation(_MAGNITUDES)}))?  # 300余万元: more than
        (?P<{side}magnitude>{_alternation(_MAGNITUDES)})?
      | (?P<{side}chinese>[{CHINESE_DIGITS}{CHINESE_PLACES}]+)
    )"""


_PHRASE = re.compile(
    rf"""
    (?P<prefix>{_alternation(_PREFIX_WORDS)}|{_alternation(_PLACE_PREFIXES)}(?=[百千万亿]))?
    {_number("")}
    (?:(?P<range>[{re.escape(_RANGE_SEPARATORS)}]){_number("high_")})?
    (?P<suffix1>{_alternation(_SUFFIX_WORDS)})?
    (?P<counter>{_alternation(_QUANTITY_COUNTERS)})?
    (?P<suffix2>{_alternation(_SUFFIX_WORDS)})?
    """,
    re.VERBOSE,
)
# 千亿, 百亿, 千万, 百万: journalists drop the leading 一, which cn2an does not accept.
_BARE_PLACE = re.compile(rf"([千百])({_alternation(_MAGNITUDES)})")
_EXPECTED = (
    "expected one number (Arabic like 1,300 or 3.55, or Chinese like 十 or 一千), optionally "
    "with 万/亿/万亿, a qualifier word (约, 超, 余, 以上, 级, ...) and one unit word "
    f"({'/'.join(_COUNTERS)})"
)
_EXPECTED_QUANTITY = (
    "expected a number phrase as parse_number reads it, or a range of two numbers (3至5亿元, "
    f"3-5家), with at most one unit word ({'/'.join(_QUANTITY_COUNTERS)})"
)
_WIDTH_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _normalize(text: str) -> str:
    """Fold full-width digits and punctuation (３．５５) into ASCII so one grammar fits all."""
    return unicodedata.normalize("NFKC", text).strip()


def fold_width(text: str) -> str:
    """Full-width forms (１０，３００％, ～) folded to ASCII, one character for one.

    Unlike NFKC, the result has the length of ``text``, so an offset found in the folded text
    (where one pattern reads both widths) is the offset of the same character in the original.
    """
    return text.translate(_WIDTH_FOLD)


def _chinese_value(raw: str, numeral: str, expected: str, *, bounded: bool = False) -> Decimal:
    """Value of a Chinese numeral written with place words, as reports write quantities;
    ``bounded``: after a bound word, where a place word alone (超万, 上百) is a number."""
    if bounded and numeral in _BARE_PLACES:
        return _BARE_PLACES[numeral]
    bare = _BARE_PLACE.fullmatch(numeral)
    if bare:
        return Decimal(1000 if bare[1] == "千" else 100) * _MAGNITUDES[bare[2]]
    # 二〇二二 or 一二三 read digit by digit are years and codes, not quantities.
    if len(numeral) > 1 and not any(ch in CHINESE_PLACES for ch in numeral):
        raise NumberParseError(f"{raw!r} spells digits one by one, not a quantity; {expected}")
    import cn2an  # a tenth of a second to import: only when a numeral is spelled in Chinese

    try:
        return Decimal(str(cn2an.cn2an(numeral, "smart")))
    except ValueError as exc:
        raise NumberParseError(f"cannot read {raw!r} as a number: {expected}") from exc


def _side_value(
    raw: str, match: re.Match[str], side: str, expected: str
) -> tuple[Decimal, Decimal | None]:
    bounded = bool(match["prefix"] and match["counter"]) and _phrase_qualifiers(match)[0] != "exact"
    """One number of a phrase: its value, and the 万/亿/万亿 it ends in (``None`` if none)."""
    arabic = match[f"{side}arabic"]
    if arabic:
        word = match[f"{side}magnitude"]
        magnitude = _MAGNITUDES[word] if word else None
        return Decimal(arabic.replace(",", "")) * (magnitude or 1), magnitude
    numeral = match[f"{side}chinese"]
    word = next((m for m in _MAGNITUDES if numeral.endswith(m) and len(numeral) > len(m)), None)
    # A Chinese numeral's magnitude (五亿) is part of its value already.
    value = _chinese_value(raw, numeral, expected, bounded=bounded)
    return value, _MAGNITUDES[word] if word else None


def _combine(qualifiers: list[Qualifier], text: str) -> Qualifier:
    """Merge qualifiers from several words; an exact word never overrides a bound."""
    bounds = set(qualifiers) - {"exact"}
    if len(bounds) > 1:
        raise NumberParseError(
            f"ambiguous wording in {text!r}: it implies {' and '.join(sorted(bounds))}"
        )
    return bounds.pop() if bounds else "exact"


def _phrase_qualifiers(match: re.Match[str]) -> list[Qualifier]:
    qualifiers: list[Qualifier] = []
    if match["prefix"]:
        qualifiers.append(_BOUND_WORDS[match["prefix"]])
    words = ("inner", "high_inner", "suffix1", "suffix2")
    qualifiers += [_SUFFIX_WORDS[match[g]] for g in words if match[g]]
    if match["range"]:  # the value of a range is its low end, which the figure is at least
        qualifiers.append("at_least")
    return qualifiers


def _read(raw: str, expected: str) -> tuple[re.Match[str], Quantity]:
    text = _normalize(raw)
    match = _PHRASE.fullmatch(text)
    if match is None:
        raise NumberParseError(f"cannot read {raw!r} as a number phrase: {expected}")
    low, low_magnitude = _side_value(raw, match, "", expected)
    high = None
    if match["range"]:
        high, high_magnitude = _side_value(raw, match, "high_", expected)
        if low_magnitude is None and high_magnitude is not None:
            low *= high_magnitude
        if high <= low:
            raise NumberParseError(f"{raw!r} is not a range from low to high; {expected}")
    if match["counter"] == "%":
        low, high = low / 100, (None if high is None else high / 100)
    quantity = Quantity(
        value=float(low),
        value_max=None if high is None else float(high),
        counter=match["counter"],
        qualifier=_combine(_phrase_qualifiers(match), raw),
    )
    return match, quantity


def parse_number(raw: str) -> ParsedNumber:
    """Read one number phrase such as "1.3572亿元", "超千亿" or "640余家".

    Raises :class:`NumberParseError` naming ``raw`` when the phrase is not exactly one number
    with optional magnitude, qualifier words and unit word, or when its words contradict each
    other (约640余家): a range, a second number or trailing text is never silently dropped.
    The curated units are money and companies, so a percentage or an area is refused here;
    :func:`parse_quantity` reads those.
    """
    match, quantity = _read(raw, _EXPECTED)
    if match["range"] or (quantity.counter is not None and quantity.counter not in _COUNTERS):
        raise NumberParseError(f"cannot read {raw!r} as one number phrase: {_EXPECTED}")
    return ParsedNumber(
        value=quantity.value, counter=quantity.counter, qualifier=quantity.qualifier
    )


def parse_quantity(raw: str) -> Quantity:
    """Read a number phrase as extraction meets it: "3至5亿元", "2.86%", "增长3倍", "12万平方米".

    Everything :func:`parse_number` reads, plus ranges (3至5亿元, 3-5亿元, 3～5亿元: the
    magnitude written once applies to both ends; qualifier ``at_least``, as the value is the low
    end) and the unit words 平方米, 人民币, 亩, % and 倍. Raises :class:`NumberParseError` like
    :func:`parse_number`, and for a range whose ends are not in increasing order.
    """
    return _read(raw, _EXPECTED_QUANTITY)[1]


def find_number_phrases(text: str) -> Iterator[tuple[int, int]]:
    """Where the phrases :func:`parse_quantity` reads stand in running text, as (start, end).

    Each phrase is as long as the grammar allows (1.3572亿元, not 1.3572). A leading word that
    only states the number (达到1.3572亿元) or merely ends another word (签约10家: 约 there
    belongs to 签约) is left out, so ``text[start:end]`` is the phrase a curator copies as raw;
    a bound word (超千亿, 约3亿元) stays in. Whether the phrase is a figure at all — a year, a
    name like 618 — is for the caller to judge. A place word that is a number only after its
    bound word and before a unit (超万家) is no phrase without them (线上万家, 过亿的企业).
    """
    for match in _PHRASE.finditer(fold_width(text)):
        start, prefix = match.start(), match["prefix"]
        if prefix and (
            _BOUND_WORDS[prefix] == "exact" or _ends_other_word(text[start - 1 : start], prefix)
        ):
            start += len(prefix)
            if match["chinese"] in _BARE_PLACES:
                continue
        if match["chinese"] in _BARE_PLACES and not match["counter"]:
            continue
        yield start, match.end()


def _before_qualifier(before: str) -> Qualifier | None:
    """The bound word ending ``before``, if any; only the tail counts (not 近年来 earlier on)."""
    tail = before[-_BEFORE_TAIL:]
    if tail and tail[-1] in _FILLERS:
        tail = tail[:-1]
    for word in _BEFORE_WORDS_LONGEST_FIRST:
        if tail.endswith(word):
            return None if _ends_other_word(tail[: -len(word)], word) else _BEFORE_WORDS[word]
    return None


def _ends_other_word(before: str, word: str) -> bool:
    """Whether ``word`` (约, 近), standing right after ``before``, ends 签约 or 附近 instead."""
    return bool(before) and before[-1] in _NOT_A_BOUND_AFTER.get(word, "")


def _after_qualifier(after: str) -> Qualifier | None:
    for word, qualifier in _AFTER_WORDS.items():
        if after.startswith(word):
            return qualifier
    return None


# Between the names of a list ending in 等 (魏桥纺织、华纺股份…等), as curators write them.
_LIST_SEPARATORS = re.compile("[、，,及和与]")


def count_listed_names(raw: str) -> int:
    """How many names a list such as "魏桥纺织、华纺股份、亚光家纺等" gives.

    A report often names the members instead of counting them; the count of names is then the
    figure (a lower bound, because of 等). Names are separated by 、 or a comma, or joined by
    及/和/与 before the last one.
    """
    names = _LIST_SEPARATORS.split(raw.strip().removesuffix("等"))
    return sum(1 for name in names if name.strip())


# detect_qualifier reads at most this many characters before and after a number: the tail a
# bound word may end, the longest word after it, and two spare characters for width folding.
# Callers checking a million figures group rows by these slices, not by the whole sentence.
QUALIFIER_CONTEXT = (_BEFORE_TAIL + 2, max(map(len, _AFTER_WORDS)) + 2)


def qualifier_bounds(before: str, raw: str, after: str = "") -> frozenset[Qualifier]:
    """The bounds (qualifiers other than exact) the words in and around a quoted number imply.

    Each part is read on its own, so the bounds of ``(before, raw, after)`` are the union of
    those of ``(before, "", "")``, ``("", raw, "")`` and ``("", "", after)``: a caller checking
    a million figures reads each distinct part once. :func:`detect_qualifier` says what they
    mean together.
    """
    before, text, after = _normalize(before), _normalize(raw), _normalize(after)
    qualifiers: list[Qualifier] = []
    match = _PHRASE.fullmatch(text)
    if match is not None:
        qualifiers += _phrase_qualifiers(match)
    elif text.endswith("等"):
        qualifiers.append("at_least")
    for found in (_before_qualifier(before), _after_qualifier(after)):
        if found is not None:
            qualifiers.append(found)
    return frozenset(qualifiers) - {"exact"}


def detect_qualifier(before: str, raw: str, after: str = "") -> Qualifier:
    """The qualifier the wording around a quoted number implies.

    ``before`` and ``after`` are the sentence text immediately around ``raw``. The qualifier
    inside ``raw`` is combined with a bound word ending ``before`` (超, 约, 不少于, ...) and one
    starting ``after`` (以上, 左右, 余, 多); an enumeration ending in 等 is a lower bound on the
    count of items. ``raw`` need not be a number phrase. Raises :class:`NumberParseError` when
    the words imply two different bounds, since then the wording itself is ambiguous.
    """
    bounds = qualifier_bounds(before, raw, after)
    return _combine(list(bounds), _normalize(before) + raw + _normalize(after))


QUALIFIER_SYMBOLS: dict[str, str] = {"exact": "", "at_least": "≥", "more_than": ">", "approx": "~"}
# A bound whose sum includes approximate parts says so in words after the number: two symbols
# run together (≥~) read as a typo.
_WITH_APPROX: dict[str, str] = {"zh": "（含约数）", "en": " (incl. approx.)"}
_TARGET_PREFIX: dict[str, str] = {"zh": "目标 ", "en": "Target "}
# Parsed once: Babel re-parses a locale given as a string on every call, which dominated
# formatting a hundred thousand values.
_LOCALES: dict[str, Locale] = {"zh": Locale.parse("zh_CN"), "en": Locale.parse("en")}
_UNIT_KINDS = ("currency", "count", "percent")
# Below a million, English compact forms ("5 thousand") read worse than plain digits.
_EN_COMPACT_FROM = 1_000_000


def _number_text(value: float, unit_kind: str, lang: str, unit_zh: str, unit_en: str) -> str:
    locale = _LOCALES[lang]
    if unit_kind == "percent":
        return format_percent(value, format="#,##0.##%", locale=locale)
    if unit_kind == "count":
        number = format_decimal(value, locale=locale)
        return f"{number}{unit_zh}" if lang == "zh" else f"{number} {unit_en}"
    if lang == "zh":
        return f"{format_compact_decimal(value, locale=locale, fraction_digits=2)}{unit_zh}"
    if abs(value) < _EN_COMPACT_FROM:
        return f"{unit_en} {format_decimal(value, locale=locale)}"
    compact = format_compact_decimal(value, format_type="long", locale=locale, fraction_digits=1)
    return f"{unit_en} {compact}"


def format_value(
    value: float | None,
    unit_kind: str,
    *,
    lang: str,
    unit_zh: str,
    unit_en: str,
    qualifier: str = "exact",
    target: bool = False,
    approximate: bool = False,
) -> str:
    """Format a normalized value for the dashboard, keeping its qualifier visible.

    Currency is shown compactly (1.36亿元, CNY 135.7 million) with ``unit_zh`` after the number
    in Chinese and ``unit_en`` (e.g. CNY) before it in English; counts as number plus unit word;
    percent values are fractions (0.0286 -> 2.86%) and carry no unit. The qualifier becomes a
    prefix symbol (≥, >, ~) so a bound is never mistaken for a value; ``approximate`` marks
    a bound summed from approximate parts (≥1.2亿元（含约数）); ``target`` marks a goal rather
    than an outcome. A missing
    value (None or NaN) is shown as "—". Raises ValueError for an unknown ``lang``,
    ``unit_kind`` or ``qualifier``, or an infinite value.
    """
    if lang not in _LOCALES:
        raise ValueError(f"unknown lang {lang!r}; expected one of {sorted(_LOCALES)}")
    if unit_kind not in _UNIT_KINDS:
        raise ValueError(f"unknown unit_kind {unit_kind!r}; expected one of {_UNIT_KINDS}")
    if qualifier not in QUALIFIERS:
        raise ValueError(f"unknown qualifier {qualifier!r}; expected one of {QUALIFIERS}")
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        raise ValueError(f"cannot format infinite value {value!r}")
    symbol, suffix = QUALIFIER_SYMBOLS[qualifier], ""
    if approximate and symbol in ("≥", ">"):
        suffix = _WITH_APPROX[lang]
    elif approximate:
        symbol = "~"  # an exact sum of approximate parts is itself about that much
    prefix = _TARGET_PREFIX[lang] if target else ""
    return f"{prefix}{symbol}{_number_text(value, unit_kind, lang, unit_zh, unit_en)}{suffix}"
