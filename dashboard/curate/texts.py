"""Every text of the sign-in and curation pages, in Chinese (the default) and English: the
``[curate]`` table of the text catalogue, ``metrics/locale/{zh,en}.toml`` (see
:mod:`metrics.i18n`)."""

from __future__ import annotations

from metrics.i18n import LANGS, section, text

TEXT: dict[str, dict[str, str]] = {lang: dict(section("curate", lang)) for lang in LANGS}


def page_text(key: str, lang: str, **values: object) -> str:
    """The text for ``key``: in English for ``lang == "en"``, else in Chinese."""
    return text(f"curate.{key}", "en" if lang == "en" else "zh", **values)
