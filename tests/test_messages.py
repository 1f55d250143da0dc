"""Every problem the dataset can report reads in Chinese as well as English, values intact.

The messages come from two sides, so that neither a new message nor a changed one goes
untranslated: the real messages, collected by breaking copies of the data every way the rules
know (test_validation's BAD_ROWS and the cases below) and by reading number phrases that cannot
be read; and the message texts in the source of ``metrics/``, read with ``ast``.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

import metrics
from metrics.errors import NumberParseError, Problem
from metrics.merge import add_report
from metrics.messages import TEMPLATES, Template, message_text, problem_text
from metrics.numbers import detect_qualifier, parse_number, parse_quantity
from metrics.store import FolderStore
from metrics.store.check import check_new_rows

from .conftest import DATA, ROOT, Edit, read_rows, set_cell, write_rows
from .test_add import REPORT, ROWS, write_review
from .test_validation import BAD_ROWS, FIG

CHUZHOU, BINZHOU = "000_0a8ea07d3a04f351", "003_fea83e67b8f794f4"
CHUZHOU_REPORT = f"sources/{CHUZHOU}.txt"
ORIGINAL = f"sources/originals/{CHUZHOU}.docx"


def _remove(name: str) -> Edit:
    return lambda data_dir: (data_dir / name).unlink()


def _write(name: str, text: str) -> Edit:
    return lambda data_dir: (data_dir / name).write_text(text, encoding="utf-8")


def _append_lines(name: str, *lines: str) -> Edit:
    def edit(data_dir: Path) -> None:
        with (data_dir / name).open("a", encoding="utf-8") as f:
            f.writelines(f"{line}\n" for line in lines)

    return edit


def _both(*edits: Edit) -> Edit:
    def edit(data_dir: Path) -> None:
        for one in edits:
            one(data_dir)

    return edit


def _add_column(data_dir: Path) -> None:
    path = data_dir / "cities.csv"
    write_rows(path, [dict(row, population="4000000") for row in read_rows(path)])


def _report_as_gbk(data_dir: Path) -> None:
    path = data_dir / CHUZHOU_REPORT
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))


def _write_original(data_dir: Path) -> None:
    path = data_dir / ORIGINAL
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x03\x04 a .docx as received")


def _change(version: int, action: str, source: str = "", figures: str = "", note: str = "") -> str:
    return f"{version},2026-11-24T00:00:00Z,me,{action},{source},{figures},{note}"


# What BAD_ROWS leaves out: the whole package, the change log, and the rarer rules.
MORE_BROKEN_DATA: dict[str, Edit] = {
    "no descriptor": _remove("datapackage.json"),
    "broken descriptor": _write("datapackage.json", "{not json"),
    "ragged table": _append_lines("cities.csv", "合肥,Hefei,安徽,Anhui,340100,340000,31.8,117.2,9"),
    "empty table": _write("inferences.csv", ""),
    "unknown column": _add_column,
    "integer with a letter": set_cell("cities.csv", 1, adcode="34110O"),
    "latitude too large": set_cell("cities.csv", 1, latitude="91"),
    "id against the pattern": set_cell(FIG, 1, figure_id="Festival Sales"),
    "count not whole": set_cell(FIG, 4, value="10.5"),
    "year precision on a month": set_cell(FIG, 1, period_precision="year"),
    "plan_period on a month": set_cell(FIG, 1, period_precision="plan_period"),
    "reason without an inferred date": set_cell(FIG, 7, date_inference="chuzhou-2018-year"),
    "event its own parent": set_cell(
        "events.csv", 1, parent_event_id="chuzhou-2017-jd-partnership"
    ),
    "award without a winner": set_cell("company_roles.csv", 1, award_zh="金奖", award_en="Gold"),
    "source inferred flag differs": set_cell("sources/sources.csv", 1, event_date_inferred="false"),
    "source city differs": set_cell("sources/sources.csv", 1, city="滨州"),
    "report missing": _remove(CHUZHOU_REPORT),
    "original without its checksum": set_cell("sources/sources.csv", 1, original_path=ORIGINAL),
    "original missing": set_cell(
        "sources/sources.csv", 1, original_path=ORIGINAL, original_sha256="0" * 64
    ),
    "original edited": _both(
        _write_original,
        set_cell("sources/sources.csv", 1, original_path=ORIGINAL, original_sha256="0" * 64),
    ),
    "report not UTF-8": _report_as_gbk,
    "change log": _append_lines(
        "changes.csv",
        _change(1, "withdraw", BINZHOU, "binzhou-textile-cluster-output"),
        "3,yesterday,me,add,,,",
        _change(4, "add", BINZHOU, "no-such-figure"),
        _change(5, "add", BINZHOU, "chuzhou-2018-618-sales"),
        _change(6, "withdraw", BINZHOU, note="a duplicate"),
        _change(7, "withdraw", BINZHOU, note="again"),
    ),
    "live figure on a withdrawn report's event": _both(
        _append_lines("changes.csv", _change(3, "withdraw", BINZHOU, note="a duplicate")),
        set_cell(FIG, 4, event_id="binzhou-2018-lufang-festival"),
    ),
}

# Number phrases that cannot be read, each way metrics.numbers refuses one (check_figure_numbers
# reports the refusal of parse_number and detect_qualifier as the problem's message).
UNREADABLE: list[tuple[Callable[..., object], tuple[str, ...]]] = [
    (parse_number, ("京东",)),
    (parse_number, ("二〇二二",)),
    (parse_number, ("十十",)),
    (parse_number, ("3至5亿元",)),
    (parse_number, ("5至3亿元",)),
    (parse_number, ("约640余家",)),
    (parse_quantity, ("京东",)),
    (parse_quantity, ("二〇二二",)),
    (parse_quantity, ("十十",)),
    (parse_quantity, ("5至3亿元",)),
    (detect_qualifier, ("约", "超10家", "以上")),
]


def _problems_of(data_dir: Path) -> list[Problem]:
    with pytest.raises(metrics.DataValidationError) as caught:
        metrics.load(data_dir)
    return caught.value.problems


def _refused_add(data_dir: Path) -> list[Problem]:
    """A report whose figure claims more certainty than its words: nothing is added."""
    report = data_dir.parent / "010_anhui_goods_festival.txt"
    report.write_text(REPORT, encoding="utf-8")
    review = write_review(
        data_dir.parent / "review.csv", [dict(ROWS[0], qualifier="exact"), ROWS[1]]
    )
    with pytest.raises(metrics.DataValidationError) as caught:
        add_report(report, review, data_dir=data_dir)
    return caught.value.problems


def _refused_withdrawal(data_dir: Path) -> list[Problem]:
    """Withdrawing a report whose text was edited: the withdrawal's checks read the report."""
    (data_dir / CHUZHOU_REPORT).write_text("改过的原文", encoding="utf-8")
    with pytest.raises(metrics.DataValidationError) as caught:
        FolderStore(data_dir).withdraw(CHUZHOU, "superseded")
    return caught.value.problems


def _table_missing(data_dir: Path) -> list[Problem]:
    """Reading the tables with a table's file gone (``metrics.load`` stumbles over it before
    the check: its FolderStore._origin checksums every file)."""
    (data_dir / "units.csv").unlink()
    with pytest.raises(metrics.DataValidationError) as caught:
        FolderStore(data_dir).read_text()
    return caught.value.problems


def _repeated_keys() -> list[Problem]:
    """New rows that repeat a stored unique value and a stored composite key, checked as a
    change is (metrics.store.check), without a load of the whole package."""
    text, reports, descriptor = FolderStore(DATA).read_text()
    new = {
        "cities": text["cities"].iloc[[0]].assign(city="合肥", adcode="340100"),
        "figure_industries": text["figure_industries"].iloc[[0]],
    }
    counts = {name: len(rows) for name, rows in text.items()}
    return list(check_new_rows(descriptor, new, text, counts, reports.__getitem__))


@pytest.fixture(scope="module")
def problems(tmp_path_factory: pytest.TempPathFactory) -> list[Problem]:
    """Every problem of every broken copy of the data, in one list."""
    found: list[Problem] = []
    for edit in [edit for edit, *_ in BAD_ROWS.values()] + list(MORE_BROKEN_DATA.values()):
        data_dir = tmp_path_factory.mktemp("broken") / "data"
        shutil.copytree(DATA, data_dir)
        edit(data_dir)
        found += _problems_of(data_dir)
    found += _problems_of(tmp_path_factory.mktemp("empty") / "nowhere")
    for refuse in (_table_missing, _refused_add, _refused_withdrawal):
        tmp = tmp_path_factory.mktemp("store")
        shutil.copytree(DATA, tmp / "data")
        found += refuse(tmp / "data")
    found += _repeated_keys()
    return found


@pytest.fixture(scope="module")
def messages(problems: list[Problem]) -> list[str]:
    """The distinct messages the code wrote: the problems', and the number phrases' refusals."""
    refusals = []
    for read, args in UNREADABLE:
        with pytest.raises(NumberParseError) as caught:
            read(*args)
        refusals.append(str(caught.value))
    return sorted({p.message for p in problems} | set(refusals))


def _templates_reading(message: str) -> list[Template]:
    return [t for t in TEMPLATES if t.pattern.fullmatch(message)]


def _read(message: str) -> tuple[Template, re.Match[str]]:
    """The one template reading ``message``, and its match (the values)."""
    (template,) = _templates_reading(message)
    match = template.pattern.fullmatch(message)
    assert match is not None
    return template, match


def test_every_message_reads_as_exactly_one_template(messages):
    unread = [m for m in messages if not _templates_reading(m)]
    assert not unread, "no template in metrics/messages.py reads:\n" + "\n".join(unread)
    several = {m: [t.english for t in _templates_reading(m)] for m in messages}
    assert {m: t for m, t in several.items() if len(t) > 1} == {}


def test_every_template_reads_a_message_the_code_writes(messages):
    """No template is dead: each reads a real message, or a sentence inside one."""
    used: set[str] = set()
    todo = list(messages)
    while todo:
        message = todo.pop()
        template, match = _read(message)
        used.add(template.english)
        todo += [match[n] for n, kind in template.kinds.items() if kind == "message"]
    assert [t.english for t in TEMPLATES if t.english not in used] == []


def _names() -> set[str]:
    """The words of the data that a Chinese message keeps in English: field and table names,
    the codes a cell holds (exact, month, award_winner) and the booleans."""
    package = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    names = {"true", "false"}
    for resource in package["resources"]:
        names |= {resource["name"], resource["path"], Path(resource["path"]).name}
        for field in resource["schema"]["fields"]:
            names.add(field["name"])
            names |= set(map(str, field.get("constraints", {}).get("enum", [])))
    return names


NAMES = _names()


def _english_left(zh: str, english: str, values: Iterable[str]) -> list[str]:
    """The English words in ``zh`` that are not kept values, names of the data, or technical
    names the English message writes too (UTF-8, figure_industries.csv, YYYY-MM-DD)."""
    for value in sorted(values, key=len, reverse=True):
        zh = zh.replace(value, " ")
    left = []
    for token in re.findall(r"[\w.:+/-]+", zh, re.ASCII):
        if token in NAMES or not re.search("[A-Za-z]{3,}", token):
            continue
        technical = token.isupper() or re.search(r"[\d_.:-]", token) is not None
        if not (technical and token in english):
            left.append(token)
    return left


def test_every_message_is_in_chinese(messages):
    wrong = {}
    for message in messages:
        zh = message_text(message, "zh")
        template, match = _read(message)
        left = _english_left(zh, message, (match[name] for name in template.kinds))
        if zh == message or left:
            wrong[message] = (zh, left)
    assert not wrong, "\n".join(
        f"{m}\n  -> {zh}\n  English left: {left}" for m, (zh, left) in wrong.items()
    )


def test_values_survive_translation_exactly(messages):
    """Each value is in the Chinese as written: ids, numbers, quoted raws, files, patterns;
    only a sentence inside a message is translated, and codes joined by "and" are listed."""
    for message in messages:
        zh = message_text(message, "zh")
        template, match = _read(message)
        for name, kind in template.kinds.items():
            value = match[name]
            if kind == "message":
                assert message_text(value, "zh") in zh, (message, name)
            elif kind == "codes":
                assert all(code in zh for code in value.split(" and ")), (message, name)
            else:
                assert value in zh, (message, name, value)


@pytest.mark.parametrize(
    ("message", "zh"),
    [
        (
            "raw '3.55亿元' reads as 3.55e+08, not 1.3572e+08",
            "raw '3.55亿元' 读出来是 3.55e+08，不是 1.3572e+08",
        ),
        (  # a quoted raw holding the template's own words is still one value
            "raw '3.55亿元 reads as 1, not 2' reads as 355000000, not 3.55",
            "raw '3.55亿元 reads as 1, not 2' 读出来是 355000000，不是 3.55",
        ),
        (
            'raw "it\'s 3.55亿元" is counted in 元, but unit company is written 家',
            'raw "it\'s 3.55亿元" 的单位词是“元”，但单位 company 写作“家”',
        ),
        (
            "lists figure 'binzhou-textile-cluster-output', which belongs to report "
            "'003_fea83e67b8f794f4'",
            "列出的数字 'binzhou-textile-cluster-output' 属于报告 '003_fea83e67b8f794f4'",
        ),
        (
            "does not match the pattern ^[a-z0-9]+(-[a-z0-9]+)*$",
            "不符合规定的格式（正则表达式 ^[a-z0-9]+(-[a-z0-9]+)*$）",
        ),
    ],
)
def test_values_are_kept_character_for_character(message, zh):
    assert message_text(message, "zh") == zh
    assert message_text(message, "en") == message


def test_a_message_without_a_template_stays_in_english():
    assert message_text("a rule nobody has translated yet", "zh") == (
        "a rule nobody has translated yet"
    )
    with pytest.raises(ValueError, match="unknown lang 'fr'"):
        message_text("file is missing", "fr")


ROW_PROBLEM = Problem(
    FIG,
    5,
    "qualifier",
    "exact",
    "the wording around '超千亿' in the quote means 'more_than'; a figure may not claim more "
    "(or less) certainty than its text",
)
FILE_PROBLEM = Problem("units.csv", None, None, None, "file is missing")
COLUMN_PROBLEM = Problem(FIG, None, "qualifier", None, "required column is missing")
MORE_ROWS = Problem("cities.csv", None, "latitude", None, "must be at most 54", more_rows=4980)


@pytest.mark.parametrize(
    ("problem", "zh"),
    [
        (
            ROW_PROBLEM,
            "figures.csv 第5行（表格第6行），字段 qualifier，值 'exact'："
            "quote 中 '超千亿' 前后的措辞表示 'more_than'；数字的确定程度不能比原文更高（或更低）",
        ),
        (FILE_PROBLEM, "units.csv：文件缺失"),
        (COLUMN_PROBLEM, "figures.csv，字段 qualifier：缺少必需的列"),
        (MORE_ROWS, "cities.csv，字段 latitude：另有 4980 行同样有误：不能大于 54"),
        (
            Problem(
                FIG, 1, "value", 135700000.0, "raw '1.3572亿元' reads as 1.3572e+08, not 1.357e+08"
            ),
            "figures.csv 第1行（表格第2行），字段 value，值 135700000.0："
            "raw '1.3572亿元' 读出来是 1.3572e+08，不是 1.357e+08",
        ),
    ],
)
def test_a_problem_reads_whole_in_either_language(problem, zh):
    assert problem_text(problem, "zh") == zh
    assert problem_text(problem, "en") == str(problem)


def test_the_english_line_is_str_of_the_problem():
    assert problem_text(ROW_PROBLEM, "en").startswith(
        "figures.csv, row 5 (line 6), field 'qualifier', value 'exact': the wording around"
    )
    assert problem_text(MORE_ROWS, "en") == (
        "cities.csv, field 'latitude': 4980 more rows: must be at most 54"
    )


def test_real_problems_read_whole_in_chinese(problems):
    for problem in problems:
        text = problem_text(problem, "zh")
        assert text.startswith(problem.file), text
        assert text.endswith(f"：{message_text(problem.message, 'zh')}"), text


# --- the message texts in the source --------------------------------------------------------

# A message is whatever reaches a parameter named ``message`` of a function or dataclass of
# metrics/ (Problem, ProblemList.rows, the rules' local helpers), and the text of a
# NumberParseError: check_figure_numbers reports str(error) as the message.
RAISED_AS_MESSAGES = {"NumberParseError": 0}


def _message_parameters(trees: dict[Path, ast.Module]) -> dict[str, int]:
    """Callables of metrics/ that take a message: name -> position of the ``message`` argument."""
    found: dict[str, set[int]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
                names = names[1:] if names[:1] in (["self"], ["cls"]) else names
            elif isinstance(node, ast.ClassDef):  # a dataclass: its fields in order
                names = [
                    s.target.id
                    for s in node.body
                    if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                ]
            else:
                continue
            if "message" in names:
                found.setdefault(node.name, set()).add(names.index("message"))
    clashes = {name: at for name, at in found.items() if len(at) > 1}
    assert not clashes, f"one name, message at several positions: {clashes}"
    return {name: at.pop() for name, at in found.items()} | RAISED_AS_MESSAGES


class _MessageFinder(ast.NodeVisitor):
    """The message arguments of one module, each as a regex of its text: the fixed words
    escaped, each value (an f-string's ``{...}``) a wildcard."""

    def __init__(self, path: Path, receivers: dict[str, int]) -> None:
        self.path, self.receivers = path, receivers
        self.scopes: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.found: list[tuple[str, str]] = []  # (where, regex)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scopes.append(node)
        self.generic_visit(node)
        self.scopes.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name in self.receivers:
            at = self.receivers[name]
            argument = next((k.value for k in node.keywords if k.arg == "message"), None)
            if argument is None and at < len(node.args):
                argument = node.args[at]
            if argument is not None:
                where = f"{self.path.relative_to(ROOT)}:{argument.lineno}"
                self.found += [(where, form) for form in self._forms(argument, where)]
        self.generic_visit(node)

    def _passed_in(self, name: str) -> bool:
        """Whether ``name`` is a parameter: its caller's argument is checked at the call."""
        return any(
            name in {a.arg for a in (*f.args.posonlyargs, *f.args.args, *f.args.kwonlyargs)}
            for f in self.scopes
        )

    def _forms(self, node: ast.expr, where: str) -> Iterator[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield re.escape(node.value)
        elif isinstance(node, ast.JoinedStr):
            yield "".join(
                re.escape(part.value) if isinstance(part, ast.Constant) else ".*"
                for part in node.values
            )
        elif isinstance(node, ast.IfExp):
            yield from self._forms(node.body, where)
            yield from self._forms(node.orelse, where)
        elif isinstance(node, ast.Lambda):
            yield from self._forms(node.body, where)
        elif isinstance(node, ast.Name) and self._passed_in(node.id):
            return
        elif isinstance(node, ast.Name):  # a variable: every text assigned to it
            assigned = [
                a.value
                for scope in self.scopes
                for a in ast.walk(scope)
                if isinstance(a, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)
            ]
            assert assigned, f"{where}: cannot find what {node.id!r} holds"
            for value in assigned:
                yield from self._forms(value, where)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            # str(error): an error's text, checked where it is raised; message(i): passed in.
            assert node.func.id == "str" or self._passed_in(node.func.id), where
        else:
            raise AssertionError(f"{where}: cannot read this message: {ast.unparse(node)}")


def message_forms(root: Path) -> list[tuple[str, str]]:
    """(where, regex) for every message text in the source of ``root``/metrics/."""
    paths = sorted(p for p in (root / "metrics").rglob("*.py") if p.name != "messages.py")
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in paths}
    receivers = _message_parameters(trees)
    found = []
    for path, tree in trees.items():
        finder = _MessageFinder(path, receivers)
        finder.visit(tree)
        found += finder.found
    return found


def test_every_message_text_in_the_source_has_a_template():
    """Reads metrics/ with ``ast`` and takes every argument that reaches a ``message``
    parameter (of Problem, ProblemList.rows, or a rule's helper) or a NumberParseError: a
    string, an f-string (each ``{value}`` read as a wildcard), either branch of a conditional,
    a lambda's result, or a variable's assigned texts. Each must match the English of a
    template in metrics/messages.py, placeholders and all: a rule added with a new message
    fails here even before any test data breaks it. Anything else in a message position fails
    too, so that a message cannot slip past this reading. The text of numbers._EXPECTED* is
    passed in as a value; the real messages above cover it."""
    forms = message_forms(ROOT)
    modules = {where.split(":")[0] for where, _ in forms}
    assert {
        "metrics/schema.py",
        "metrics/rules.py",
        "metrics/changes.py",
        "metrics/numbers.py",
        "metrics/store/check.py",
        "metrics/store/folder.py",
    } <= modules
    untranslated = [
        (where, form)
        for where, form in forms
        if not re.search("[a-z]{2,}", form)
        or not any(re.fullmatch(form, t.english, re.DOTALL) for t in TEMPLATES)
    ]
    assert not untranslated, "messages with no template in metrics/messages.py:\n" + "\n".join(
        f"{where}: {form}" for where, form in untranslated
    )


def test_pandas_error_text_is_kept_in_a_table_problem(problems):
    """A value that is an exception's text, which pandas ends with a newline, is read whole."""
    unreadable = [p.message for p in problems if p.message.startswith("not a readable CSV")]
    assert unreadable
    for message in unreadable:
        detail = message.split(": ", 1)[1]
        assert message_text(message, "zh") == f"无法作为 CSV 表格读取：{detail}"
