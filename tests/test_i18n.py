"""The text catalogue, metrics/locale/{zh,en}.toml: both languages in step, and every key the
code asks for present."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import string
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from dashboard.curate.texts import page_text
from dashboard.i18n import TEXT, t
from metrics.i18n import LANGS, LOCALE_DIR, catalogue, licence_name, section, text
from metrics.present import chosen_names
from metrics.query import Filters

from .conftest import DATA, ROOT

FILES = {lang: tomllib.loads((LOCALE_DIR / f"{lang}.toml").read_text("utf-8")) for lang in LANGS}

# Texts that are rightly the same in both languages.
# SHA-256; and "?", the grid's count of rows while it does not know it yet.
SAME_IN_BOTH = {"workbook.source_headers[9]", "page.grid.pageLastRowUnknown"}


def _flat(node: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """(dotted key, value) of every leaf; list items as key[i], tables as key.sub."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _flat(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _flat(value, f"{prefix}[{i}]")
    else:
        yield prefix, node


FLAT = {lang: dict(_flat(FILES[lang])) for lang in LANGS}


def _placeholders(value: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(value) if field is not None}


def test_the_languages_have_the_same_keys_and_lists_of_the_same_length():
    assert LANGS[0] == "zh"  # Chinese first: the product's default language
    zh, en = FLAT["zh"], FLAT["en"]
    assert sorted(set(zh) - set(en)) == [], "only in zh.toml"
    assert sorted(set(en) - set(zh)) == [], "only in en.toml"
    assert set(FILES["zh"]) == {"page", "curate", "workbook", "cli", "dataset"}


def test_every_text_is_a_nonempty_string_with_the_same_placeholders_in_both_languages():
    for key, zh in FLAT["zh"].items():
        en = FLAT["en"][key]
        assert isinstance(zh, str) and isinstance(en, str), key
        assert zh.strip() and en.strip(), key
        assert _placeholders(zh) == _placeholders(en), key  # parse() also refuses stray braces


def test_chinese_and_english_differ_except_where_they_should_not():
    same = {key for key, zh in FLAT["zh"].items() if zh == FLAT["en"][key]}
    assert same == SAME_IN_BOTH


def test_a_missing_key_or_an_unknown_language_is_an_error_naming_it():
    with pytest.raises(KeyError, match=r"page\.no_such_text"):
        text("page.no_such_text", "zh")
    with pytest.raises(KeyError, match=r"workbook\.about"):
        text("workbook.about", "en")  # a table, not a text
    with pytest.raises(ValueError, match="fr"):
        text("page.title", "fr")
    with pytest.raises(ValueError):
        t("title", "fr")


def test_the_api_reads_the_files_and_keeps_them_read_only():
    assert text("page.title", "zh") == FILES["zh"]["page"]["title"]
    assert text("workbook.about.rows", "en") == FILES["en"]["workbook"]["about"]["rows"]
    assert text("page.kpi_basis", "zh", n=3, reports=1) == "3 项数据 · 1 份报道"
    assert text("page.tile_figures", "zh") == "{n} 项数据"  # without values, as written
    assert section("workbook.sheets", "en") == ("Summary", "Figures", "Sources", "About")
    with pytest.raises(TypeError):
        section("page", "zh")["title"] = "changed"  # type: ignore[index]
    assert catalogue("zh") is catalogue("zh")  # read once
    assert TEXT["en"]["title"] == t("title", "en") == "Regional digital-economy metrics"
    assert page_text("login_submit", "de") == page_text("login_submit", "zh") == "登录"


# ---- every key the code uses exists ---------------------------------------------------------


def _sources(folder: str, *skip: str) -> list[Path]:
    """The Python files under ``folder``, but for those with a name or folder in ``skip``."""
    return [p for p in sorted((ROOT / folder).rglob("*.py")) if not set(skip) & set(p.parts)]


def _keys_in(paths: list[Path], functions: set[str]) -> tuple[set[str], set[str]]:
    """The keys passed as the first argument of ``functions`` (literals), and the fixed starts
    of f-string keys (``t(f"kind_{kind}")`` gives "kind_"), over the source of ``paths``."""
    keys: set[str] = set()
    prefixes: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                first = node.args[0]
                if name not in functions:
                    continue
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    keys.add(first.value)
                elif isinstance(first, ast.JoinedStr) and isinstance(
                    getattr(first.values[0], "value", None), str
                ):
                    prefixes.add(first.values[0].value)
            elif isinstance(node, ast.Dict):  # layout: id={"type": "text", "key": "reset"}
                entries = {
                    k.value: v.value
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)
                }
                if entries.get("type") == "text" and "key" in entries:
                    keys.add(entries["key"])
            elif (  # the curation page's table heads: heads = ("col_title", …)
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Tuple)
                and any(getattr(target, "id", None) == "heads" for target in node.targets)
            ):
                keys.update(e.value for e in node.value.elts if isinstance(e, ast.Constant))
    return keys, prefixes


def _check(table: dict, keys: set[str], prefixes: set[str], where: str) -> None:
    assert keys, where  # the scan found the calls
    assert sorted(keys - set(table)) == [], f"used in {where}, missing from the catalogue"
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in table), f"{prefix}… in {where}"


DESCRIPTOR = json.loads((DATA / "datapackage.json").read_text("utf-8"))


def _enum(resource: str, field: str) -> list[str]:
    (found,) = (r for r in DESCRIPTOR["resources"] if r["name"] == resource)
    (column,) = (f for f in found["schema"]["fields"] if f["name"] == field)
    return column["constraints"]["enum"]


def test_every_page_key_the_code_uses_exists():
    keys, prefixes = _keys_in(_sources("dashboard", "curate"), {"t", "_text", "Notice"})
    page = FILES["zh"]["page"]
    _check(page, keys, prefixes, "dashboard/")
    from metrics.table import COLUMNS  # the page's table heads them t(f"col_{column}")

    keys = {f"col_{c}" for c in COLUMNS}
    keys |= {f"kind_{kind}" for kind in _enum("events", "kind")}
    keys |= {f"q_{q}" for q in _enum("figures", "qualifier")}
    _check(page, keys, set(), "the page's columns, event kinds and qualifiers")


def test_every_curation_key_the_code_uses_exists():
    from metrics.curate.accounts import ROLES
    from metrics.curate.drafts import STATUSES

    functions = {"page_text", "_field", "labelled", "text"}
    keys, prefixes = _keys_in(_sources("dashboard/curate", "texts.py"), functions)
    keys |= {f"role_{role}" for role in ROLES} | {f"status_{s}" for s in STATUSES}
    keys |= {f"action_{a}" for a in _enum("changes", "action")}
    _check(FILES["zh"]["curate"], keys, prefixes, "dashboard/curate/")


def test_every_workbook_and_cli_key_the_code_uses_exists(dataset):
    from metrics.cli import _TABLE_COLUMNS
    from metrics.export import FIGURE_COLUMNS

    # Only the modules that use the catalogue: text() is also SQLAlchemy's, in the stores.
    users = [p for p in _sources("metrics") if "from metrics.i18n import" in p.read_text("utf-8")]
    keys, prefixes = _keys_in(users, {"text", "section"})
    assert {"workbook", "cli.empty", "cli.columns"} <= keys and not prefixes
    for key in keys:
        for lang in LANGS:
            section(key, lang)  # KeyError naming the key if it is missing
    workbook = FILES["zh"]["workbook"]
    source = (ROOT / "metrics" / "export.py").read_text("utf-8")
    used = set(re.findall(r"\blabels\[\"(\w+)\"\]", source))
    assert used and sorted(used - set(workbook)) == []
    used = set(re.findall(r"\babout\[\"(\w+)\"\]", source))
    assert used and sorted(used - set(workbook["about"])) == []
    for column, _ in FIGURE_COLUMNS:
        assert set(workbook["columns"][column]) == {"header", "meaning"}, column
    assert list(workbook["columns"]) == [c for c, _ in FIGURE_COLUMNS]
    assert set(workbook["qualifiers"]) == set(_enum("figures", "qualifier"))
    assert set(workbook["precision"]) == set(_enum("figures", "period_precision"))
    headings = [*chosen_names(dataset, Filters(), "zh"), "period"]
    assert list(workbook["filter_headings"]) == headings
    assert len(workbook["sheets"]) == 4
    assert list(FILES["zh"]["cli"]["columns"]) == list(_TABLE_COLUMNS)


# ---- the licence comes from the data package ------------------------------------------------


def test_the_licence_is_the_data_package_s():
    assert DESCRIPTOR["licenses"][0]["name"] == "CC-BY-4.0"
    assert not any("CC BY" in value for value in [*FLAT["zh"].values(), *FLAT["en"].values()])

    def package(licenses: object) -> SimpleNamespace:
        return SimpleNamespace(descriptor=SimpleNamespace(raw={"licenses": licenses}))

    assert licence_name(package([{"name": "ODC-By-1.0"}, {"title": "Own"}]), "en") == (
        "ODC By 1.0 / Own"
    )
    assert licence_name(package([]), "zh") == "未注明"
    assert licence_name(package(None), "en") == "not stated"


def test_footer_and_workbook_show_the_licence_in_today_s_words(dataset, tmp_path):
    from metrics.export import write_workbook

    assert licence_name(dataset, "zh") == licence_name(dataset, "en") == "CC BY 4.0"
    footer = t(
        "footer", "zh", version=3, package="0.2.0", figures=9, sources=2, licence="CC BY 4.0"
    )
    assert footer == "数据版本 3（数据包 0.2.0）· 9 项数据 · 2 份报道 · 数据许可 CC BY 4.0"
    expected = {
        "zh": (
            f"《区域数字经济指标》数据集第 {dataset.version} 版（CC BY 4.0），据京东云城市合作报道"
            "整理；引用单个数字时请注明其来源报道与原文（见“数据”表）。",
            "整理数据 CC BY 4.0；报道原文版权归原发布者。",
        ),
        "en": (
            f"Regional digital-economy figures, dataset version {dataset.version} (CC BY 4.0), "
            "curated from JD Cloud city cooperation reports; when citing a figure, name its "
            "source report and quote (see the Figures sheet).",
            "Curated data CC BY 4.0; report texts belong to their publishers.",
        ),
    }
    made = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
    for lang, (cite, licence) in expected.items():
        path = tmp_path / f"{lang}.xlsx"
        write_workbook(dataset, Filters(), lang, path, made_at=made)
        sheet = load_workbook(path)[section("workbook.sheets", lang)[3]]
        about = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
        assert about[text("workbook.about.cite", lang)] == cite
        assert about[text("workbook.about.license", lang)] == licence
