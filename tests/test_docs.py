"""The README documents every command, option and table, so the docs cannot fall behind."""

from __future__ import annotations

import argparse
import json
import re

import pytest

from metrics.cli import build_parser
from metrics.dataset import DATA_DIR_VARIABLE
from metrics.present import RECORD_COLUMNS

from .conftest import DATA, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_readme_shows_every_command_and_its_options(command):
    assert f"python -m metrics {command}" in README
    for action in _subcommands()[command]._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                # `--option`, a usage line's [--option …], or --option in running text
                assert re.search(rf"[`\[ ]{re.escape(option)}\b", README), option


def test_readme_names_every_table_of_the_data_package():
    descriptor = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        assert f"`{resource['path'].removeprefix('sources/')}`" in README or (
            f"`{resource['path']}`" in README
        ), resource["path"]


def test_readme_lists_every_output_column_and_the_data_variable():
    for column in RECORD_COLUMNS:
        assert column in README, column
    assert DATA_DIR_VARIABLE in README
    assert "make run" in README and "make test" in README
