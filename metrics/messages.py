"""The problems of the dataset in the reader's language: Chinese by default, or English.

The curation page shows each problem on the row and field of its grid in the page's language.
The rules stay written once, in English, where they are checked (:mod:`metrics.schema`,
:mod:`metrics.rules`, :mod:`metrics.changes`, :mod:`metrics.store`, and the number phrases of
:mod:`metrics.numbers`), so that the command line, the logs and the tests read one text. Their
messages are f-strings holding values — ids, numbers, quoted raws — so they are translated
here by pattern: each English template of :data:`IN_CHINESE` reads one shape of message, and its
Chinese template puts the values back exactly as they were.

In an English template, ``{name}`` is a value kept as it is; ``{name:quoted}`` a value as
Python's ``repr`` writes it ('3.55亿元'), read up to its closing quote so that a quote holding the
template's own words cannot split the message wrongly; ``{name:codes}`` codes joined by "and"
(approx and more_than), listed with 、 instead; ``{name:message}`` a further English sentence
(what a number phrase should look like), translated by the same table. A name used twice reads
the same value twice. tests/test_messages.py checks that every message the code can write reads
as exactly one template.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass

from metrics.errors import Problem

IN_CHINESE: tuple[tuple[str, str], ...] = (
    # Reading the package and its tables (metrics.schema, metrics.store).
    ("the data package descriptor is missing", "缺少数据包描述文件"),
    ("not a valid data package descriptor: {detail}", "数据包描述文件无效：{detail}"),
    ("data directory does not exist", "数据目录不存在"),
    ("file is missing", "文件缺失"),
    (
        "not UTF-8 text (byte {byte} at offset {offset}); save it as UTF-8 CSV",
        "不是 UTF-8 文本（偏移 {offset} 处的字节为 {byte}）；请另存为 UTF-8 编码的 CSV 文件",
    ),
    ("not a readable CSV table: {detail}", "无法作为 CSV 表格读取：{detail}"),
    ("required column is missing", "缺少必需的列"),
    ("unknown column: not in datapackage.json", "未知的列：datapackage.json 中没有这一列"),
    # Each cell against its field's schema (metrics.schema, metrics.store.check).
    ("required value is empty", "必填项为空"),
    ("duplicate: this value appears in an earlier row", "重复：前面的行中已有这个值"),
    ("leading or trailing spaces; remove them", "开头或结尾有空格，请删除"),
    (
        "not a valid number (write digits like 135720000, no units or commas)",
        "不是有效的数字（请只写数字，如 135720000，不带单位或逗号）",
    ),
    ("not a valid integer (write a whole number)", "不是有效的整数（请写整数）"),
    ("not a valid boolean (write true or false)", "不是有效的是/否值（请写 true 或 false）"),
    ("not a valid date (write YYYY-MM-DD)", "不是有效的日期（请按 YYYY-MM-DD 格式填写）"),
    (
        "not a valid datetime (write YYYY-MM-DDThh:mm:ssZ, in UTC)",
        "不是有效的日期时间（请按 YYYY-MM-DDThh:mm:ssZ 格式填写，用 UTC 时间）",
    ),
    ("must be one of: {allowed}", "必须是以下之一：{allowed}"),
    ("does not match the pattern {pattern}", "不符合规定的格式（正则表达式 {pattern}）"),
    ("must be at least {minimum}", "不能小于 {minimum}"),
    ("must be at most {maximum}", "不能大于 {maximum}"),
    (
        "duplicate key ({key}): the same combination appears in an earlier row",
        "组合键（{key}）重复：前面的行中已有相同的组合",
    ),
    # References and reports (metrics.rules).
    ("not found in {file} (column {column})", "在 {file} 的 {column} 列中找不到"),
    ("report file is missing", "报告文件缺失"),
    (
        "the report text has changed (its SHA-256 is now {digest}); reports are kept byte for "
        "byte as received, so restore it or add it as a new source",
        "报告原文已被改动（其 SHA-256 现为 {digest}）；报告须与收到时逐字节一致，"
        "请恢复原文，或把它作为新的来源添加",
    ),
    ("report is not UTF-8 text (offset {offset})", "报告不是 UTF-8 文本（偏移 {offset} 处）"),
    (
        "original_path and original_sha256 are given together or not at all",
        "original_path 和 original_sha256 要么都填，要么都不填",
    ),
    ("original file is missing", "原始文件缺失"),
    (
        "the original file has changed (its SHA-256 is now {digest}); it is kept byte for byte "
        "as received",
        "原始文件已被改动（其 SHA-256 现为 {digest}）；原始文件须与收到时逐字节一致",
    ),
    (
        "not found verbatim in the source report (check every character, including full-width "
        "punctuation)",
        "在原文中找不到完全相同的文字（请逐字核对，包括全角标点）",
    ),
    # A figure's number, unit and qualifier (metrics.rules).
    (
        "not found in the quote; raw must be copied from the quote",
        "在 quote 中找不到；raw 必须从 quote 中原样复制",
    ),
    (
        "raw lists {count} names, so an enumerated value must be {count}",
        "raw 列出了 {count} 个名称，所以 enumerated（列举计数）的值必须是 {count}",
    ),
    (
        "raw {raw:quoted} reads as {reads_as}, not {value}",
        "raw {raw} 读出来是 {reads_as}，不是 {value}",
    ),
    (
        "raw {raw:quoted} is counted in {counter}, but unit {unit} is written {written}",
        "raw {raw} 的单位词是“{counter}”，但单位 {unit} 写作“{written}”",
    ),
    ("a count must be a whole number", "计数必须是整数"),
    (
        "the wording around {raw:quoted} in the quote means {qualifier:quoted}; a figure may not "
        "claim more (or less) certainty than its text",
        "quote 中 {raw} 前后的措辞表示 {qualifier}；数字的确定程度不能比原文更高（或更低）",
    ),
    ("metric {metric} is measured in {unit}", "指标 {metric} 的单位是 {unit}"),
    # Dates (metrics.rules).
    ("{end} is before {start}", "{end} 早于 {start}"),
    (
        "month precision needs {start} on the 1st and {end} on the last day of the same month",
        "精度为 month 时，{start} 须为某月 1 日，{end} 须为同一个月的最后一天",
    ),
    (
        "year precision needs {start} on 1 January and {end} on 31 December of the same year",
        "精度为 year 时，{start} 须为 1 月 1 日，{end} 须为同一年的 12 月 31 日",
    ),
    (
        "plan_period precision needs whole years: {start} on 1 January and {end} on 31 December",
        "精度为 plan_period 时须为整年：{start} 须为 1 月 1 日，{end} 须为 12 月 31 日",
    ),
    (
        "date_inferred is true, so say why: give an inference_id",
        "date_inferred 为 true，请说明推断依据：填写一个 inference_id",
    ),
    (
        "a reason is given but date_inferred is false",
        "填写了推断依据，但 date_inferred 为 false",
    ),
    # Facts told in two tables (metrics.rules).
    (
        "has no industry: add a row to figure_industries.csv",
        "没有所属产业：请在 figure_industries.csv 中添加一行",
    ),
    ("differs from the city of its event", "与所属活动（event_id）的城市不一致"),
    ("an event cannot be part of itself", "活动不能以自身为上级活动"),
    (
        "an award_winner needs the award's name in award_zh and award_en",
        "award_winner 须在 award_zh 和 award_en 中填写奖项名称",
    ),
    ("only an award_winner has an award", "只有 award_winner 才能填写奖项"),
    ("differs from the start of event {event}", "与活动 {event} 的开始日期不一致"),
    ("differs from date_inferred of event {event}", "与活动 {event} 的 date_inferred 不一致"),
    ("differs from the city of event {event}", "与活动 {event} 的城市不一致"),
    # The change log and withdrawn reports (metrics.changes, metrics.store).
    ("must be greater than every earlier version", "必须大于之前所有的版本号"),
    ("an add or a withdrawal names its report", "添加（add）或撤回（withdraw）必须写明所涉报告"),
    ("a withdrawal says why: give the reason", "撤回须说明原因：请填写理由"),
    ("this report was already withdrawn by an earlier change", "此报告已被之前的一次变更撤回"),
    (
        "lists figure {figure:quoted}, which is not in figures.csv",
        "列出的数字 {figure} 不在 figures.csv 中",
    ),
    (
        "lists figure {figure:quoted}, which belongs to report {report:quoted}",
        "列出的数字 {figure} 属于报告 {report}",
    ),
    (
        "refers to a row of {file} that belongs to the withdrawn report {report:quoted}",
        "引用了 {file} 中属于已撤回报告 {report} 的一行",
    ),
    ("nothing was added: the store is unchanged", "未添加任何内容，数据保持不变"),
    ("nothing was withdrawn: the store is unchanged", "未撤回任何内容，数据保持不变"),
    # Number phrases that cannot be read (metrics.numbers), and what was expected instead.
    (
        "cannot read {raw:quoted} as a number phrase: {expected:message}",
        "无法把 {raw} 读成数字短语：{expected}",
    ),
    (
        "cannot read {raw:quoted} as one number phrase: {expected:message}",
        "无法把 {raw} 读成单个数字短语：{expected}",
    ),
    (
        "cannot read {raw:quoted} as a number: {expected:message}",
        "无法把 {raw} 读成数字：{expected}",
    ),
    (
        "{raw:quoted} spells digits one by one, not a quantity; {expected:message}",
        "{raw} 是逐个写出的数字（如年份、编号），不是数量；{expected}",
    ),
    (
        "{raw:quoted} is not a range from low to high; {expected:message}",
        "{raw} 不是从小到大的范围；{expected}",
    ),
    (
        "ambiguous wording in {text:quoted}: it implies {bounds:codes}",
        "{text} 的措辞有歧义：同时表示 {bounds}",
    ),
    (
        "expected one number (Arabic like 1,300 or 3.55, or Chinese like 十 or 一千), optionally "
        "with 万/亿/万亿, a qualifier word (约, 超, 余, 以上, 级, ...) and one unit word "
        "({counters})",
        "应为一个数字（阿拉伯数字如 1,300 或 3.55，中文数字如 十 或 一千），可带 万/亿/万亿、"
        "一个限定词（约、超、余、以上、级等）和一个单位词（{counters}）",
    ),
    (
        "expected a number phrase as parse_number reads it, or a range of two numbers "
        "(3至5亿元, 3-5家), with at most one unit word ({counters})",
        "应为单个数字短语，或由两个数字组成的范围（如 3至5亿元、3-5家），"
        "最多带一个单位词（{counters}）",
    ),
)
"""(English template, Chinese template): one pair per shape of message the code writes."""


# Per kind of placeholder: what its value looks like, and what becomes of it in Chinese.
_KINDS: dict[str, tuple[str, Callable[[str], str]]] = {
    "": (r".+?", str),
    "quoted": (r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", str),
    "codes": (r"[a-z_]+(?: and [a-z_]+)+", lambda codes: "、".join(codes.split(" and "))),
    "message": (r".+", lambda sentence: message_text(sentence, "zh")),
}


@dataclass(frozen=True)
class Template:
    """One pair of :data:`IN_CHINESE`, its English compiled to a pattern with named groups."""

    english: str
    zh: str
    pattern: re.Pattern[str]
    kinds: dict[str, str]  # placeholder name -> kind

    @classmethod
    def of(cls, english: str, zh: str) -> Template:
        parts: list[str] = []
        kinds: dict[str, str] = {}
        for literal, name, kind, _ in string.Formatter().parse(english):
            parts.append(re.escape(literal))
            if name is None:
                continue
            if name in kinds:
                parts.append(f"(?P={name})")
            else:
                kinds[name] = kind or ""
                parts.append(f"(?P<{name}>{_KINDS[kinds[name]][0]})")
        # DOTALL: a value may be an exception's text, which pandas ends with a newline.
        return cls(english, zh, re.compile("".join(parts), re.DOTALL), kinds)

    def chinese(self, match: re.Match[str]) -> str:
        """The message ``match`` read, in Chinese."""
        return self.zh.format(
            **{name: _KINDS[kind][1](match[name]) for name, kind in self.kinds.items()}
        )


TEMPLATES: tuple[Template, ...] = tuple(Template.of(en, zh) for en, zh in IN_CHINESE)

_LANGUAGES = ("zh", "en")


def message_text(message: str, lang: str) -> str:
    """``message`` (a :class:`Problem`'s, in English) in ``lang``: "zh" or "en".

    A message that no template reads comes back in English, unchanged: a problem shown in the
    wrong language is still better than one not shown.
    """
    _check_lang(lang)
    if lang == "en":
        return message
    for template in TEMPLATES:
        match = template.pattern.fullmatch(message)
        if match is not None:
            return template.chinese(match)
    return message


def problem_text(problem: Problem, lang: str) -> str:
    """The whole line of ``problem`` in ``lang``: ``str(problem)``, or the same in Chinese."""
    _check_lang(lang)
    if lang == "en":
        return str(problem)
    message = message_text(problem.message, lang)
    if problem.more_rows:
        return (
            f"{problem.file}，字段 {problem.field}：另有 {problem.more_rows} 行同样有误：{message}"
        )
    where = problem.file
    if problem.row is not None:
        where += f" 第{problem.row}行（表格第{problem.row + 1}行）"
    if problem.field is not None:
        where += f"，字段 {problem.field}"
    if problem.value is not None and problem.value != "":
        where += f"，值 {problem.value!r}"
    return f"{where}：{message}"


def _check_lang(lang: str) -> None:
    if lang not in _LANGUAGES:
        raise ValueError(f"unknown lang {lang!r}; expected one of {_LANGUAGES}")
