"""Find the candidate figures in a report text, for a curator to review and merge.

Curating a report by hand means reading every sentence for numbers, copying each one with its
sentence, and working out what it counts, where and when. This module does the finding and the
first guess, so that the curator only judges: every number phrase that states a quantity becomes
a :class:`Candidate` with the raw string and its exact offsets, the value in base units, the
qualifier its wording implies, the verbatim sentence, and guesses of metric, city, industry and
period, each with the reason behind it. Recall comes first — a figure never found is never
reviewed — but what only looks like a number (years, dates, ordinals such as 第二批, captions,
campaign names such as 618, plan names such as 十三五) is left out, since every false candidate
costs a reviewer's time.
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import date

import pandas as pd

from metrics.dataset import Dataset
from metrics.errors import NumberParseError
from metrics.merge import REVIEW_COLUMNS
from metrics.numbers import (
    CHINESE_DIGITS,
    CHINESE_PLACES,
    Qualifier,
    Quantity,
    count_listed_names,
    detect_qualifier,
    find_number_phrases,
    fold_width,
    parse_quantity,
)


@dataclass(frozen=True)
class Candidate:
    """One number phrase of a report that may be a figure, with guesses for the rest of its row.

    ``raw`` is ``text[start:end]`` as written; ``value`` is in base units (元, count, m2, a
    percent as a fraction) and, for a range, its low end with ``value_max`` the high end.
    ``derivation`` is ``stated`` for a written number and ``enumerated`` for a list of names
    ending in 等 that is counted. ``quote`` is the whole sentence, verbatim. The guesses are
    empty where nothing fits; each ``*_reason`` says in English what the guess rests on, so a
    reviewer can accept or correct it without rereading the report. A period whose year the
    text does not give is written without one (``--06-25``) and flagged ``date_inferred``.
    """

    raw: str
    value: float
    value_max: float | None
    unit: str
    qualifier: Qualifier
    derivation: str
    quote: str
    start: int
    end: int
    metric: str
    metric_reason: str
    city: str
    city_reason: str
    industry: str
    industry_reason: str
    period_start: str
    period_end: str
    period_precision: str
    period_reason: str
    date_inferred: bool


CANDIDATE_COLUMNS: tuple[str, ...] = tuple(field.name for field in fields(Candidate))
"""The column order of candidates in a table (csv, xlsx): the figure first, then the guesses."""

_UNITS: dict[str, str] = {
    "元": "CNY",
    "人民币": "CNY",
    "家": "company",
    "个": "item",
    "项": "item",
    "人": "person",
    "批": "batch",
    "亩": "mu",
    "平方米": "m2",
    "%": "percent",
    "倍": "times",
}
_SENTENCE_END = re.compile(r"[。！？；!?;\n]")

# Written like numbers, never figures; matched on the width-folded text before any number is.
_NOT_FIGURES = re.compile(
    r"""
      !\[[^\]\n]*\]\([^)\n]*\)                                  # a picture: ![云领2gai.png]()
    | \]\([^)\n]*\)                                             # the address of a link
    | (?<![0-9])(?:19|20)[0-9]{2}([-/.])[0-9]{1,2}\1[0-9]{1,2}(?![0-9])   # a date: 2018-06-26
    | (?<![0-9])(?:0[0-9]{2,3}-[0-9]{7,8}|[48]00-[0-9]{3}-[0-9]{4})(?![0-9])  # a phone number
    | 十[一二三四五六七八九]五                                    # a five-year plan: 十三五
    | ^[ \t]*(?:[-*+][ \t]+)?(?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})[.、)](?![0-9])  # 1. 一、
    | \((?:[0-9]{1,2}|[一二三四五六七八九十]{1,3})\)             # a list marker: (1), （一）
    """,
    re.VERBOSE | re.MULTILINE,
)
# Words right after a number without a unit (or after 个) that make it a date or a duration.
_TIME_WORDS = ("年", "月", "日", "号", "天", "周", "小时", "时", "分钟", "秒", "岁", "届", "季度")
# Around a number without a unit, what makes it a name: JD's mid-year sale 618 is written
# 京东618, “618年中大促” or “618战果”; a quoted title starting with a number names something.
_NAME_BEFORE = ("京东", "“", '"', "「", "《")
_NAME_AFTER = ("年中",)
_PLAIN_ARABIC = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_YEAR_LIKE = re.compile(r"(?:19|20)[0-9]{2}")
_PHONE_LIKE = re.compile(r"[0-9]{7,}")
_PLAIN_CHINESE = re.compile(f"[{CHINESE_DIGITS}{CHINESE_PLACES}]+")
# 一 before a measure word is the indefinite article (一批高品质鲁纺, 一项项专利), not a count.
_ARTICLE = re.compile("一[个项批家人]")

# A list of names ending in 等, and the rest of its clause (魏桥纺织、华纺股份…等滨州纺织企业).
_NAME = r"[^，。！？；：、“”‘’\"'()\s,;:!?]+"
_LIST = re.compile(
    rf"(?:包括|例如|比如|以|如|像)?(?P<list>{_NAME}(?:、{_NAME})+)等(?P<rest>[^，。！？；,;!?\n]*)"
)
# What the names of a list are, by the noun within a few characters after 等.
_LIST_NOUNS: dict[str, str] = {
    "企业": "company",
    "公司": "company",
    "代表": "company",
    "项目": "item",
}
_LIST_NOUN_WINDOW = 8


@dataclass(frozen=True)
class _MetricRule:
    """A metric, the unit its figures have, and the words of a sentence that point to it."""

    metric: str
    unit: str
    keywords: tuple[str, ...]
    meaning: str
    scale_only: bool = False  # the keyword counts only for a scale class such as 1300亿级


_METRIC_RULES = (
    _MetricRule(
        "campaign_sales", "CNY", ("销售额", "销售", "销量", "成交额", "交易额"), "sales amount"
    ),
    _MetricRule("industry_output", "CNY", ("产值",), "output value"),
    _MetricRule("output_target", "CNY", ("目标", "规划", "力争"), "an amount set as a goal"),
    _MetricRule("output_target", "CNY", ("打造",), "a scale to build up to", scale_only=True),
    _MetricRule(
        "companies_signed",
        "company",
        ("签约", "签署", "签订", "入驻", "落户"),
        "companies signing up or moving in",
    ),
    _MetricRule(
        "companies_participating",
        "company",
        ("销售", "参与", "参加"),
        "companies whose sales a campaign counts",
    ),
)
# Words for an industry besides its own name (industries.csv: 纺织 covers 家纺, 服装, 地毯).
_INDUSTRY_WORDS: dict[str, str] = {
    "家纺": "纺织",
    "鲁纺": "纺织",
    "服装": "纺织",
    "地毯": "纺织",
    "空调": "家电",
    "白电": "家电",
    "电视": "家电",
    "家用电器": "家电",
}

_YEAR = r"(?:19|20)[0-9]{2}"
_WRITTEN_YEAR = re.compile(rf"({_YEAR})年")
_PLAN = re.compile(r"十([一二三四五六七八九])五")
_UNTIL = re.compile(
    rf"截至(?:(?P<year>{_YEAR})年)?"
    r"(?:(?P<month>[0-9]{1,2})月|本月)?(?P<day>[0-9]{1,2})[日号]"
)
_SINCE = re.compile(r"(?:一?进入|自|从)([0-9]{1,2})月|([0-9]{1,2})月份?以来")
_DAY = re.compile(rf"(?:(?P<year>{_YEAR})年)?(?P<month>[0-9]{{1,2}})月(?P<day>[0-9]{{1,2}})[日号]")
_THAT_DAY = re.compile("当天|当日|今天|今日")
_RELATIVE_YEARS = {"今年": 0, "去年": -1, "明年": 1}
_WHICH_YEAR = rf"(?:(?P<year>{_YEAR})年|(?P<relative>{'|'.join(_RELATIVE_YEARS)}))"
_MONTH = re.compile(rf"{_WHICH_YEAR}?(?P<month>[0-9]{{1,2}})月(?![0-9]{{1,2}}[日号])")
_YEAR_ONLY = re.compile(rf"{_WHICH_YEAR}(?![0-9]{{1,2}}月)")
# The first five-year plan ran 1953-1957; after a three-year gap the third began in 1966, and
# they have followed each other every five years since.
_THIRD_PLAN_START = 1966


@dataclass(frozen=True)
class _Year:
    """A year for a date, and where it came from; ``value`` is None when nobody knows it."""

    value: int | None
    inferred: bool
    note: str


@dataclass(frozen=True)
class _ReportDate:
    """The day a report is dated, which 今年, 本月 and 当天 refer to."""

    month: int | None
    day: int | None
    written: str
    year: _Year


@dataclass(frozen=True)
class _Period:
    """A guessed period: ISO days (--MM-DD without a year), precision, and why."""

    start: str
    end: str
    precision: str
    reason: str
    inferred: bool


@dataclass(frozen=True)
class _Sentence:
    """Offsets of a stripped sentence in the text, and the paragraph it belongs to."""

    start: int
    end: int
    paragraph: int


def _day(year: int | None, month: int, day: int) -> str:
    """ISO date, or ISO 8601's --MM-DD when the year is unknown: what is stated, no more."""
    return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def _month_days(year: int | None, month: int) -> int:
    # An unknown year is taken as a leap year, so that a February period covers all its days.
    return calendar.monthrange(year or 2000, month)[1]


def _valid(month: int, day: int = 1) -> bool:
    return 1 <= month <= 12 and 1 <= day <= _month_days(None, month)


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _is_ordinal(before: str, after: str) -> bool:
    """第二批, 图一, (表2), 前十强: an ordinal, a caption or a rank, not a quantity.

    ``before`` and ``after`` are the two characters around the number. 表 marks a caption only
    where it is not the end of a word (代表10家企业); 前 marks a rank only before 强/名/位/大.
    """
    if before.endswith(("第", "图")):
        return True
    if before.endswith("表"):
        return not _CJK.fullmatch(before[-2:-1])
    return before.endswith("前") and after.startswith(("强", "名", "位", "大"))


def _is_count(phrase: str) -> bool:
    """Whether a phrase reads as a number with a unit word (10家), as a stated count does."""
    try:
        return parse_quantity(phrase).counter is not None
    except NumberParseError:
        return False


def _sentences(text: str) -> list[_Sentence]:
    """Sentences split on 。！？； and newlines, stripped; a newline also ends a paragraph."""
    sentences: list[_Sentence] = []
    paragraph = begin = 0
    for match in _SENTENCE_END.finditer(text + "\n"):
        piece = text[begin : match.start()]
        if piece.strip():
            start = begin + len(piece) - len(piece.lstrip())
            sentences.append(_Sentence(start, begin + len(piece.rstrip()), paragraph))
        paragraph += match.group() == "\n"
        begin = match.end()
    return sentences


class _Reader:
    """One report being read: its sentences, date and the tables the guesses may name."""

    def __init__(
        self,
        text: str,
        cities: Mapping[str, str],
        industries: list[str],
        metrics: set[str],
        report_date: date | None,
    ) -> None:
        self.text = text
        self.folded = fold_width(text)
        self.sentences = _sentences(text)
        self.sentence_starts = [s.start for s in self.sentences]
        self.cities = cities
        self.industries = industries
        self.metrics = metrics
        self.masked = [m.span() for m in _NOT_FIGURES.finditer(self.folded)]
        self.report = self._report_date(report_date)
        counts = Counter({city: text.count(city) for city in cities if city in text})
        self.main_city = counts.most_common(1)[0] if counts else None

    # -- sentences -------------------------------------------------------------------------

    def sentence_at(self, offset: int) -> int:
        """The index of the sentence an offset falls in (or the last one before it)."""
        return bisect.bisect_right(self.sentence_starts, offset) - 1

    def words(self, index: int) -> str:
        """The width-folded text of a sentence, which the patterns read."""
        sentence = self.sentences[index]
        return self.folded[sentence.start : sentence.end]

    def preceding(self, index: int) -> int | None:
        """The sentence before, if it is in the same paragraph: the context a sentence continues."""
        if index > 0 and self.sentences[index - 1].paragraph == self.sentences[index].paragraph:
            return index - 1
        return None

    # -- finding ---------------------------------------------------------------------------

    def candidates(self) -> list[Candidate]:
        found = [*self._stated(), *self._enumerated()]
        return sorted(found, key=lambda c: (c.start, c.end))

    def _stated(self) -> Iterator[Candidate]:
        for start, end in find_number_phrases(self.text):
            if any(a < end and start < b for a, b in self.masked):
                continue
            raw = self.text[start:end]
            try:
                quantity = parse_quantity(raw)
            except NumberParseError:  # 十三五, 万一, 二〇一八: characters of numerals, no number
                continue
            if self._is_figure(start, end, quantity):
                unit = _UNITS[quantity.counter] if quantity.counter else ""
                if not unit and "亿" in raw:  # reports count 亿 only in money: 超千亿产值
                    unit = "CNY"
                yield self._candidate(
                    start, end, quantity.value, quantity.value_max, unit, "stated"
                )

    def _is_figure(self, start: int, end: int, quantity: Quantity) -> bool:
        """Whether a phrase states a quantity, rather than a date, ordinal, name or code."""
        raw = self.folded[start:end]
        before, after = self.folded[max(0, start - 2) : start], self.folded[end : end + 2]
        if _is_ordinal(before, after) or _ARTICLE.fullmatch(raw):
            return False
        dated = quantity.counter in (None, "个") and "万" not in raw and "亿" not in raw
        if dated and after.startswith(_TIME_WORDS):  # 2017年, 5月, 25日, 3个月
            return False
        if _PLAIN_ARABIC.fullmatch(raw):  # digits and nothing else: perhaps not a quantity
            return not (
                before.endswith(_NAME_BEFORE)
                or after.startswith(_NAME_AFTER)
                or _YEAR_LIKE.fullmatch(raw)  # “2018首届鲁纺产业节”
                or _PHONE_LIKE.fullmatch(raw)
                or any(ch.isascii() and ch.isalpha() for ch in before[-1:] + after[:1])  # 5G
            )
        if _PLAIN_CHINESE.fullmatch(raw):
            # 两大平台, 前十强, 千万: a bare numeral is a word unless it is an amount (千亿) or
            # a number written out (一千, 三百).
            written_out = raw[0] in CHINESE_DIGITS and any(c in CHINESE_PLACES for c in raw)
            return "亿" in raw or (len(raw) > 1 and written_out)
        return True

    def _enumerated(self) -> Iterator[Candidate]:
        for match in _LIST.finditer(self.folded):
            rest = match["rest"]
            if any(_is_count(rest[a:b]) for a, b in find_number_phrases(rest)):
                continue  # 以A、B等为代表的10家企业: the stated 10家 is the figure
            nouns = [
                (rest.find(noun), unit)
                for noun, unit in _LIST_NOUNS.items()
                if 0 <= rest.find(noun) < _LIST_NOUN_WINDOW
            ]
            if nouns:
                start, end = match.start("list"), match.end("list") + 1  # with 等
                count = count_listed_names(self.text[start:end])
                yield self._candidate(start, end, float(count), None, min(nouns)[1], "enumerated")

    def _candidate(
        self, start: int, end: int, value: float, value_max: float | None, unit: str, how: str
    ) -> Candidate:
        index = self.sentence_at(start)
        sentence = self.sentences[index]
        raw = self.text[start:end]
        try:
            qualifier = detect_qualifier(
                self.text[sentence.start : start], raw, self.text[end : sentence.end]
            )
        except NumberParseError:  # 超过100家左右: contradictory wording claims no more than approx
            qualifier = "approx"
        metric, metric_reason = self._guess_metric(index, start, end, raw, unit)
        city, city_reason = self._guess_city(index, start)
        industry, industry_reason = self._guess_industry(index)
        period = self._guess_period(index)
        return Candidate(
            raw=raw,
            value=value,
            value_max=value_max,
            unit=unit,
            qualifier=qualifier,
            derivation=how,
            quote=self.text[sentence.start : sentence.end],
            start=start,
            end=end,
            metric=metric,
            metric_reason=metric_reason,
            city=city,
            city_reason=city_reason,
            industry=industry,
            industry_reason=industry_reason,
            period_start=period.start,
            period_end=period.end,
            period_precision=period.precision,
            period_reason=period.reason,
            date_inferred=period.inferred,
        )

    # -- guessing what, where and when -----------------------------------------------------

    def _guess_metric(
        self, index: int, start: int, end: int, raw: str, unit: str
    ) -> tuple[str, str]:
        """The metric whose keyword stands nearest the figure in its sentence."""
        if not self.metrics:
            return "", "no metrics table given"
        offset = self.sentences[index].start
        words = self.words(index)
        best: tuple[int, int, str, _MetricRule] | None = None
        for order, rule in enumerate(_METRIC_RULES):
            if rule.unit != unit or rule.metric not in self.metrics:
                continue
            if rule.scale_only and "级" not in raw:
                continue
            for keyword in rule.keywords:
                for found in re.finditer(keyword, words):
                    a, b = found.start() + offset, found.end() + offset
                    if b <= start:
                        distance = start - b
                    elif a >= end:
                        distance = a - end
                    else:
                        continue
                    if best is None or (distance, order) < best[:2]:
                        best = (distance, order, keyword, rule)
        if best is None:
            return "", f"no keyword of a metric counted in {unit or 'no unit'} in the sentence"
        _, _, keyword, rule = best
        return rule.metric, f"{keyword} is the metric keyword nearest the figure ({rule.meaning})"

    def _guess_city(self, index: int, start: int) -> tuple[str, str]:
        """A city named in the sentence (the nearest), else the one the text names most."""
        sentence = self.sentences[index]
        named = [
            (abs(sentence.start + found.start() - start), city)
            for city in self.cities
            for found in re.finditer(re.escape(city), self.words(index))
        ]
        if named:
            city = min(named)[1]
            return city, f"{city} ({self.cities[city]}) is named in the sentence"
        if self.main_city:
            city, times = self.main_city
            return city, (
                f"no city named in the sentence; {city} ({self.cities[city]}) is the city "
                f"the text names most often ({times} times)"
            )
        return "", "no city of the cities table is named in the text"

    def _guess_industry(self, index: int) -> tuple[str, str]:
        """Industries named in the sentence, else in the sentence before it that it continues."""
        where = "the sentence"
        found = self._industries_in(self.words(index))
        before = self.preceding(index)
        if not found and before is not None:
            where = "the preceding sentence"
            found = self._industries_in(self.words(before))
        if not found:
            return "", "no industry named in the sentence or the one before"
        named = "; ".join(f"{ind} ({', '.join(words)})" for ind, words in found.items())
        return "|".join(found), f"named in {where}: {named}"

    def _industries_in(self, words: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for industry in self.industries:
            aliases = [w for w, ind in _INDUSTRY_WORDS.items() if ind == industry]
            hits = [word for word in (industry, *aliases) if word in words]
            if hits:
                found[industry] = hits
        return found

    def _guess_period(self, index: int) -> _Period:
        """The period a figure covers, from date words in its sentence or the one before."""
        before = self.preceding(index)
        for where, at in (("", index), ("in the preceding sentence, ", before)):
            if at is None:
                continue
            for cue in (self._plan, self._until, self._on_day, self._month, self._year):
                period = cue(at)
                if period is not None:
                    return replace(period, reason=where + period.reason)
        year = self._report_year()
        reason = "no date in the sentence or the one before"
        if year.value is None:
            return _Period("", "", "", f"{reason}, and {year.note}", False)
        return _Period(
            _day(year.value, 1, 1),
            _day(year.value, 12, 31),
            "year",
            f"{reason}: assumed to be the report's year; {year.note}",
            True,
        )

    # -- date words ------------------------------------------------------------------------

    def _report_date(self, given: date | None) -> _ReportDate:
        """The report's day: ``given``, else the first day written in the text."""
        if given is not None:
            note = f"year {given.year} from report_date, not from the text"
            year = _Year(given.year, True, note)
            return _ReportDate(given.month, given.day, given.isoformat(), year)
        for match in _DAY.finditer(self.folded):
            month, day = int(match["month"]), int(match["day"])
            if _valid(month, day):
                written = match.group()
                stated = self._stated_year(self.sentence_at(match.start()), match["year"])
                if stated is None:
                    note = (
                        f"the report's date {written} has no year beside it, so the dates "
                        "have none (a year elsewhere in the text may be another event's)"
                    )
                    year = _Year(None, True, note)
                else:
                    note = f"year {stated[0]} {stated[1]} (the report's date is {written})"
                    year = _Year(stated[0], False, note)
                return _ReportDate(month, day, written, year)
        note = (
            "the text gives no day for the report, so no year for its dates (a year "
            "elsewhere in the text may be another event's)"
        )
        return _ReportDate(None, None, "", _Year(None, True, note))

    def _stated_year(self, index: int, written: str | None) -> tuple[int, str] | None:
        """The year the text gives a date: with it (2017年5月) or elsewhere in its sentence."""
        if written:
            return int(written), "as written"
        words = self.words(index)
        found = _WRITTEN_YEAR.search(words)
        if found is None:
            return None
        snippet = words[found.start() : found.end() + 2]
        return int(found[1]), f"from “{snippet}…” in the same sentence"

    def _report_year(self, relative: str = "今年") -> _Year:
        """The report's year (今年), or the one before or after it (去年, 明年)."""
        year = self.report.year
        if year.value is None:
            return year
        shift = _RELATIVE_YEARS[relative]
        if not shift:
            return year
        note = f"{relative} counted from the report's year ({year.note})"
        return _Year(year.value + shift, year.inferred, note)

    def _year_of(self, index: int, written: str | None, relative: str | None) -> _Year:
        """The year of a date: as the text gives it, else the report's year."""
        stated = None if relative else self._stated_year(index, written)
        if stated is not None:
            return _Year(stated[0], False, f"year {stated[0]} {stated[1]}")
        return self._report_year(relative or "今年")

    def _plan(self, at: int) -> _Period | None:
        """十三五: the five years of a national five-year plan."""
        match = _PLAN.search(self.words(at))
        if match is None:
            return None
        number = 11 + "一二三四五六七八九".index(match[1])
        first = _THIRD_PLAN_START + 5 * (number - 3)
        return _Period(
            _day(first, 1, 1),
            _day(first + 4, 12, 31),
            "plan_period",
            f"{match.group()}: the {number}th Five-Year Plan, {first}-{first + 4}",
            False,
        )

    def _until(self, at: int) -> _Period | None:
        """截至本月25日: a running total up to that day, counted from the start of a month."""
        match = _UNTIL.search(self.words(at))
        if match is None:
            return None
        if match["month"]:
            month, whose = int(match["month"]), "the month written"
        elif self.report.month is not None:
            month = self.report.month
            name = calendar.month_name[month]
            whose = f"the month the report is dated in ({name}, from {self.report.written})"
        else:
            return None
        day = int(match["day"])
        if not _valid(month, day):
            return None
        year = self._year_of(at, match["year"], None)
        first, since = month, "no start is stated, so from the start of that month"
        before = self.preceding(at)
        for context in (at,) if before is None else (at, before):
            started = _SINCE.search(self.words(context))
            if started and int(started[1] or started[2]) <= month:
                first = int(started[1] or started[2])
                where = "the same sentence" if context == at else "the preceding sentence"
                since = f"starts 1 {calendar.month_name[first]} ({started.group()} in {where})"
                break
        return _Period(
            _day(year.value, first, 1),
            _day(year.value, month, day),
            "day",
            f"{match.group()}: ends on day {day} of {whose}; {since}; {year.note}",
            year.inferred,
        )

    def _on_day(self, at: int) -> _Period | None:
        """A day written out (6月26日), or 当天: the day the report is dated."""
        words = self.words(at)
        match = _DAY.search(words)
        if match and _valid(int(match["month"]), int(match["day"])):
            year = self._year_of(at, match["year"], None)
            day = _day(year.value, int(match["month"]), int(match["day"]))
            return _Period(
                day, day, "day", f"{match.group()}: that day; {year.note}", year.inferred
            )
        that_day = _THAT_DAY.search(words)
        if that_day is None or self.report.month is None or self.report.day is None:
            return None
        year = self._report_year()
        day = _day(year.value, self.report.month, self.report.day)
        reason = (
            f"{that_day.group()}: the day the report is dated, {self.report.written}; {year.note}"
        )
        return _Period(day, day, "day", reason, year.inferred)

    def _month(self, at: int) -> _Period | None:
        """2017年5月, 今年5月, 一进入6月: that whole month."""
        match = _MONTH.search(self.words(at))
        if match is None or not _valid(int(match["month"])):
            return None
        month = int(match["month"])
        year = self._year_of(at, match["year"], match["relative"])
        return _Period(
            _day(year.value, month, 1),
            _day(year.value, month, _month_days(year.value, month)),
            "month",
            f"{match.group()}: that month; {year.note}",
            year.inferred,
        )

    def _year(self, at: int) -> _Period | None:
        """2017年, 今年: that whole year."""
        match = _YEAR_ONLY.search(self.words(at))
        if match is None:
            return None
        year = self._year_of(at, match["year"], match["relative"])
        if year.value is None:
            return None
        return _Period(
            _day(year.value, 1, 1),
            _day(year.value, 12, 31),
            "year",
            f"{match.group()}: that year; {year.note}",
            year.inferred,
        )


def extract(
    text: str,
    *,
    cities: Mapping[str, str] | None = None,
    industries: Iterable[str] = (),
    metrics: Iterable[str] = (),
    report_date: date | None = None,
) -> list[Candidate]:
    """Every number phrase of ``text`` that may be a figure, in text order, with guesses.

    ``cities`` maps the Chinese city names a guess may give to their provinces; ``industries``
    and ``metrics`` are the names and ids a guess may give, so every guess names a row that
    exists (none is guessed without its table). ``report_date`` is the day the report is dated,
    which 今年, 本月 and 当天 refer to; without it the first day written in the text is taken,
    with its year only if the text writes one beside it. A year taken from ``report_date`` or
    not known at all marks the period ``date_inferred``.
    """
    reader = _Reader(text, cities or {}, list(industries), set(metrics), report_date)
    return reader.candidates()


def extract_from_dataset(dataset: Dataset, text: str) -> list[Candidate]:
    """:func:`extract` with the cities, industries and metrics of ``dataset`` to guess from."""
    cities = dataset.cities
    return extract(
        text,
        cities=dict(zip(cities["city"].astype(str), cities["province"].astype(str), strict=True)),
        industries=dataset.industries["industry"].astype(str),
        metrics=dataset.metrics["metric"].astype(str),
    )


_DTYPES = {"value": "float64", "value_max": "float64", "start": "int64", "end": "int64"}


def candidates_frame(candidates: list[Candidate]) -> pd.DataFrame:
    """Candidates as a table in :data:`CANDIDATE_COLUMNS` order, to write as csv or xlsx.

    The dtypes are fixed (numbers float64, offsets int64, ``date_inferred`` bool, text str),
    so an empty list gives the same columns as a full one.
    """
    frame = pd.DataFrame([asdict(c) for c in candidates], columns=list(CANDIDATE_COLUMNS))
    return frame.astype({**_DTYPES, "date_inferred": "bool"})


def review_frame(candidates: list[Candidate], source_id: str) -> pd.DataFrame:
    """Candidates as a review file for ``add``: the reviewer's columns first, an id suggested.

    The reviewer deletes or marks 否 the rows that are not figures, writes the labels, corrects
    any guess, and keeps the suggested ids or gives better ones.
    """
    frame = candidates_frame(candidates)
    stem = re.sub(r"[^a-z0-9]+", "-", source_id.lower()).strip("-") or "report"
    review = pd.DataFrame({column: [""] * len(frame) for column in REVIEW_COLUMNS})
    review["figure_id"] = [f"{stem}-{i}" for i in range(1, len(frame) + 1)]
    review["source_id"] = source_id
    return pd.concat([review, frame], axis=1)
