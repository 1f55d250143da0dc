"""Every text a reader sees, in Chinese and English, from one catalogue: ``metrics/locale/*.toml``.

One file per language (``zh.toml`` first: zh-CN is the default language), one table per part of
the product: ``[page]`` (the dashboard), ``[curate]`` (the sign-in and curation pages),
``[workbook]`` (the Excel export), ``[cli]`` (what ``python -m metrics figures`` prints) and
``[dataset]`` (texts about the data package itself). The texts used to live in four Python
modules, each with its own dict; now a translator edits TOML, not code, and
``tests/test_i18n.py`` keeps the languages in step: the same keys, the same ``{placeholders}``,
no empty text, and every key the code asks for present.

Keys are dotted paths: ``text("page.title", "zh")``, ``text("workbook.about.cite_value", "en",
version=4, licence="CC BY 4.0")``. Data names (滁州 → Chuzhou) come from the dataset's reference
tables, not from here.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

# metrics.present imports neither this module nor anything that does: no import cycle.
from metrics.present import LANGS, check_lang

if TYPE_CHECKING:
    from metrics.dataset import Dataset

__all__ = ["LANGS", "LOCALE_DIR", "catalogue", "licence_name", "section", "text"]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@functools.cache
def catalogue(lang: str) -> Mapping[str, Any]:
    """The whole catalogue of ``lang``, read once: read-only tables, lists as tuples."""
    with (LOCALE_DIR / f"{check_lang(lang)}.toml").open("rb") as file:
        return _frozen(tomllib.load(file))


def _frozen(value: Any) -> Any:
    # Cached and shared by every caller: no caller may change a text for the others.
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


def section(name: str, lang: str) -> Any:
    """A table (read-only mapping) or list (tuple) of the catalogue: ``section("workbook", "en")``,
    ``section("workbook.qualifiers", "zh")``. A missing key raises KeyError naming it."""
    node: Any = catalogue(lang)
    for part in name.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(
                f"{name!r} is not in the {lang} text catalogue ({LOCALE_DIR}/{lang}.toml)"
            )
        node = node[part]
    return node


def text(key: str, lang: str, **values: object) -> str:
    """The text at dotted ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``.

    Without values the text comes back as written, braces and all. An unknown language raises
    ValueError (as :func:`metrics.present.check_lang`); a missing key raises KeyError naming it.
    """
    found = section(key, lang)
    if not isinstance(found, str):
        raise KeyError(f"{key!r} is a table or list of the {lang} text catalogue, not a text")
    return found.format(**values) if values else found


def licence_name(dataset: Dataset, lang: str) -> str:
    """The data licence as the page and the workbook show it, from ``datapackage.json``.

    A licence's ``name`` is an SPDX-style id: "CC-BY-4.0" is shown "CC BY 4.0". One without a
    name shows its ``title``, else its ``path``; several are joined with " / "; a package that
    states none says so in ``lang``. It lives here rather than in :mod:`metrics.dataset` because
    it is display text (its fallback is a catalogue text), and only the texts fill it in.
    """
    licences = dataset.descriptor.raw.get("licenses") or []
    shown = [_licence(licence) for licence in licences if isinstance(licence, Mapping)]
    return " / ".join(s for s in shown if s) or text("dataset.licence_unstated", lang)


def _licence(licence: Mapping[str, Any]) -> str:
    name = str(licence.get("name") or "").replace("-", " ").strip()
    return name or str(licence.get("title") or licence.get("path") or "").strip()
