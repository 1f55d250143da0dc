"""Every piece of page text in Chinese and English: the ``[page]`` table of the text catalogue,
``metrics/locale/{zh,en}.toml`` (see :mod:`metrics.i18n`). Data names (滁州 → Chuzhou) come from
the dataset's reference tables, not from here.

``tests/test_i18n.py`` checks both languages have the same keys and placeholders, so nothing is
ever half-translated.
"""

from __future__ import annotations

from metrics.i18n import LANGS, section, text

TEXT: dict[str, dict[str, str]] = {lang: dict(section("page", lang)) for lang in LANGS}
"""The page's texts by language and key, for callers that look up many: ``TEXT[lang][key]``."""


def t(key: str, lang: str, **values: object) -> str:
    """The text for ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    return text(f"page.{key}", lang, **values)
