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
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import cn2an
from babel import Locale
from babel.numbers import format_compact_decimal, format_decimal, format_percent

from metrics.errors import NumberParseError

Qualifier = Literal["exact", "at_least", "more_than", "approx"]
QUALIFIERS: tuple[str, ...] = ("exact", "at_least", "more_than", "approx")


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
    "达": "exact",
}
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
_NOT_A_BOUND_AFTER: dict[str, str] = {"约": "签合条履预特公节制契邀", "近": "附最邻亲"}
# Particles that may sit between a bound word and the number: 超过了, 约有.
_FILLERS = "了有"
_BEFORE_TAIL = 4

_MAGNITUDES: dict[str, Decimal] = {
    "万亿": Decimal(10) ** 12,
    "亿": Decimal(10) ** 8,
    "万": Decimal(10) ** 4,
}
_COUNTERS = "元家个项人批"
_CN_DIGITS = "零〇一二两三四五六七八九"
_CN_PLACES = "十百千万亿"


def _alternation(words: dict[str, Qualifier] | dict[str, Decimal]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_PHRASE = re.compile(
    rf"""
    (?P<prefix>{_alternation(_PREFIX_WORDS)})?
    (?:
        (?P<arabic>[0-9]{{1,3}}(?:,[0-9]{{3}})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)
        (?P<magnitude>{_alternation(_MAGNITUDES)})?
      | (?P<chinese>[{_CN_DIGITS}{_CN_PLACES}]+)
    )
    (?P<suffix1>{_alternation(_SUFFIX_WORDS)})?
    (?P<counter>[{_COUNTERS}])?
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


def _normalize(text: str) -> str:
    """Fold full-width digits and punctuation (３．５５) into ASCII so one grammar fits all."""
    return unicodedata.normalize("NFKC", text).strip()


def _chinese_value(raw: str, numeral: str) -> Decimal:
    """Value of a Chinese numeral written with place words, as reports write quantities."""
    bare = _BARE_PLACE.fullmatch(numeral)
    if bare:
        return Decimal(1000 if bare[1] == "千" else 100) * _MAGNITUDES[bare[2]]
    # 二〇二二 or 一二三 read digit by digit are years and codes, not quantities.
    if len(numeral) > 1 and not any(ch in _CN_PLACES for ch in numeral):
        raise NumberParseError(f"{raw!r} spells digits one by one, not a quantity; {_EXPECTED}")
    try:
        return Decimal(str(cn2an.cn2an(numeral, "smart")))
    except ValueError as exc:
        raise NumberParseError(f"cannot read {raw!r} as a number: {_EXPECTED}") from exc


def _combine(qualifiers: list[Qualifier], text: str) -> Qualifier:
    """Merge qualifiers from several words; an exact word never overrides a bound."""
    bounds = set(qualifiers) - {"exact"}
    if len(bounds) > 1:
        raise NumberParseError(
            f"ambiguous wording in {text!r}: it implies {' and '.join(sorted(bounds))}"
        )
    return bounds.pop() if bounds else "exact"


def _phrase_qualifiers(match: re.Match[str]) -> list[Qualifier]:
    qualifiers = []
    if match["prefix"]:
        qualifiers.append(_PREFIX_WORDS[match["prefix"]])
    qualifiers += [_SUFFIX_WORDS[match[g]] for g in ("suffix1", "suffix2") if match[g]]
    return qualifiers


def parse_number(raw: str) -> ParsedNumber:
    """Read one number phrase such as "1.3572亿元", "超千亿" or "640余家".

    Raises :class:`NumberParseError` naming ``raw`` when the phrase is not exactly one number
    with optional magnitude, qualifier words and unit word, or when its words contradict each
    other (约640余家): a range, a second number or trailing text is never silently dropped.
    """
    text = _normalize(raw)
    match = _PHRASE.fullmatch(text)
    if match is None:
        raise NumberParseError(f"cannot read {raw!r} as a number phrase: {_EXPECTED}")
    if match["arabic"]:
        value = Decimal(match["arabic"].replace(",", ""))
        if match["magnitude"]:
            value *= _MAGNITUDES[match["magnitude"]]
    else:
        value = _chinese_value(raw, match["chinese"])
    qualifier = _combine(_phrase_qualifiers(match), raw)
    return ParsedNumber(value=float(value), counter=match["counter"], qualifier=qualifier)


def _before_qualifier(before: str) -> Qualifier | None:
    """The bound word ending ``before``, if any; only the tail counts (not 近年来 earlier on)."""
    tail = before[-_BEFORE_TAIL:]
    if tail and tail[-1] in _FILLERS:
        tail = tail[:-1]
    for word in _BEFORE_WORDS_LONGEST_FIRST:
        if tail.endswith(word):
            preceding = tail[-len(word) - 1 : -len(word)]
            if preceding and preceding in _NOT_A_BOUND_AFTER.get(word, ""):
                return None
            return _BEFORE_WORDS[word]
    return None


def _after_qualifier(after: str) -> Qualifier | None:
    for word, qualifier in _AFTER_WORDS.items():
        if after.startswith(word):
            return qualifier
    return None


def detect_qualifier(before: str, raw: str, after: str = "") -> Qualifier:
    """The qualifier the wording around a quoted number implies.

    ``before`` and ``after`` are the sentence text immediately around ``raw``. The qualifier
    inside ``raw`` is combined with a bound word ending ``before`` (超, 约, 不少于, ...) and one
    starting ``after`` (以上, 左右, 余, 多); an enumeration ending in 等 is a lower bound on the
    count of items. ``raw`` need not be a number phrase. Raises :class:`NumberParseError` when
    the words imply two different bounds, since then the wording itself is ambiguous.
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
    return _combine(qualifiers, before + raw + after)


_BOUND_SYMBOLS: dict[str, str] = {"exact": "", "at_least": "≥", "more_than": ">", "approx": "~"}
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
    sums with approximate parts (≥~); ``target`` marks a goal rather than an outcome. A missing
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
    symbol = _BOUND_SYMBOLS[qualifier]
    if approximate and symbol != "~":
        symbol += "~"
    prefix = _TARGET_PREFIX[lang] if target else ""
    return f"{prefix}{symbol}{_number_text(value, unit_kind, lang, unit_zh, unit_en)}"
