"""The country's prefecture-level units (``metrics/resources/prefectures.csv``) carry English
names a reader expects: pinyin words for cities, and for autonomous prefectures, leagues and
prefectures the English type and ethnic names, never pinyin run together."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

PREFECTURES = Path(__file__).resolve().parent.parent / "metrics" / "resources" / "prefectures.csv"
# Words of ASCII letters, apostrophes and hyphens, separated by single spaces; a name shared by
# two cities ends in its province in brackets, e.g. "Fuzhou (Jiangxi)".
NAME = re.compile(r"[A-Z][A-Za-z'-]*( [A-Za-z][A-Za-z'-]*)*( \([A-Z][A-Za-z ]*\))?")
LONGEST_WORD = 14  # "Xishuangbanna" is 13; "Yanbianchaoxianzuzizhizhou" is not a word
TYPE_WORDS = {"自治州": "Autonomous Prefecture", "盟": "League", "地区": "Prefecture"}


def read_rows() -> list[dict[str, str]]:
    with PREFECTURES.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


ROWS = read_rows()


def test_every_unit_is_there_once():
    assert len(ROWS) == 338
    assert len({r["city"] for r in ROWS}) == len(ROWS)


def test_english_names_are_present_unique_and_plain():
    names = [r["name_en"] for r in ROWS]
    assert all(names)
    assert len({n.casefold() for n in names}) == len(names)
    bad = [n for n in names if not n.isascii() or not NAME.fullmatch(n)]
    assert not bad


def test_a_province_in_brackets_is_the_rows_province_and_tells_two_cities_apart():
    qualified = [r for r in ROWS if r["name_en"].endswith(")")]
    assert qualified
    for row in qualified:
        base, _, province = row["name_en"][:-1].partition(" (")
        assert province == row["province_en"], row
        assert sum(r["name_en"].startswith(base + " (") for r in ROWS) >= 2, row
        assert base not in {r["name_en"] for r in ROWS}, row


@pytest.mark.parametrize(("suffix", "english"), TYPE_WORDS.items(), ids=TYPE_WORDS.values())
def test_the_kind_of_unit_is_said_in_english(suffix, english):
    rows = [r for r in ROWS if r["city"].endswith(suffix)]
    assert rows
    wrong = [(r["city"], r["name_en"]) for r in rows if not r["name_en"].endswith(" " + english)]
    assert not wrong


def test_only_those_units_carry_an_english_type_word():
    typed = [r for r in ROWS if not r["city"].endswith(tuple(TYPE_WORDS))]
    wrong = [
        r["name_en"]
        for r in typed
        if r["name_en"].endswith((" Autonomous Prefecture", " League", " Prefecture"))
    ]
    assert not wrong


def test_no_name_is_pinyin_run_together():
    long_words = [
        (r["city"], word)
        for r in ROWS
        for word in r["name_en"].split()
        if len(word.strip("()")) > LONGEST_WORD
    ]
    assert not long_words
    pinyin_types = re.compile(r"(zizhizhou|diqu|meng)$", re.IGNORECASE)
    assert not [r["name_en"] for r in ROWS if pinyin_types.search(r["name_en"].split()[0])]


KNOWN = {
    "凉山彝族自治州": "Liangshan Yi Autonomous Prefecture",
    "延边朝鲜族自治州": "Yanbian Korean Autonomous Prefecture",
    "黔东南苗族侗族自治州": "Qiandongnan Miao and Dong Autonomous Prefecture",
    "阿坝藏族羌族自治州": "Ngawa Tibetan and Qiang Autonomous Prefecture",
    "伊犁哈萨克自治州": "Ili Kazakh Autonomous Prefecture",
    "兴安盟": "Hinggan League",
    "大兴安岭地区": "Daxing'anling Prefecture",
    "喀什地区": "Kashgar Prefecture",
    "西安": "Xi'an",
    "六安": "Lu'an",
    "长治": "Changzhi",
    "乌鲁木齐": "Urumqi",
    "拉萨": "Lhasa",
    "福州": "Fuzhou (Fujian)",
    "抚州": "Fuzhou (Jiangxi)",
    "北京": "Beijing",
}


@pytest.mark.parametrize("city", KNOWN, ids=KNOWN.values())
def test_known_names(city):
    assert {r["city"]: r["name_en"] for r in ROWS}[city] == KNOWN[city]
