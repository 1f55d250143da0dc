"""The README documents every command, option and table, so the docs cannot fall behind."""

from __future__ import annotations

import argparse
import json
import re

import pytest

from dashboard.live import POLL_VARIABLE
from metrics.cli import build_parser
from metrics.dataset import DATA_DIR_VARIABLE
from metrics.present import RECORD_COLUMNS
from metrics.store import DATABASE_VARIABLE

from .conftest import DATA, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _subcommands(
    parser: argparse.ArgumentParser | None = None, prefix: str = ""
) -> dict[str, argparse.ArgumentParser]:
    """Every command, nested ones too (``db init``), by how it is typed."""
    parser = parser or build_parser()
    commands: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = _subcommands(sub, f"{prefix}{name} ")
                commands.update(nested or {f"{prefix}{name}": sub})
    return commands


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_readme_shows_every_command_and_its_options(command):
    assert f"python -m metrics {command}" in README
    for action in _subcommands()[command]._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                # `--option`, a usage line's [--option …], or --option in running text
                assert re.search(rf"[`\[ ]{re.escape(option)}(?![\w-])", README), option


def test_readme_names_every_table_of_the_data_package():
    descriptor = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        assert f"`{resource['path'].removeprefix('sources/')}`" in README or (
            f"`{resource['path']}`" in README
        ), resource["path"]


def test_readme_lists_every_output_column_and_every_setting():
    for column in RECORD_COLUMNS:
        assert column in README, column
    for variable in (
        DATA_DIR_VARIABLE,
        DATABASE_VARIABLE,
        POLL_VARIABLE,
        "HOST",
        "PORT",
        "WORKERS",
    ):
        assert variable in README, variable
    assert "make run" in README and "make test" in README
