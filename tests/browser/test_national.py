"""The page on a national dataset in a real browser: a campaign list too long to send with the
page is searched on the server as a person types, and what they pick filters the view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from benchmarks.common import serve
from dashboard.layout import OPTIONS_SHOWN
from metrics.synth import synthesize

from .test_dashboard import chips, choose, open_page

FIGURES = 100 * (OPTIONS_SHOWN + 10)  # synth makes one campaign per hundred figures


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    return synthesize(FIGURES, tmp_path_factory.mktemp("national") / "data", seed=3)


@pytest.fixture(scope="module")
def live_server(national: Path) -> Iterator[str]:
    """This module's server (the ``page`` fixture allows requests to it alone)."""
    with serve(workers=1, data=national, ready_timeout=300) as server:
        yield server.url


def test_typing_finds_a_campaign_the_page_was_not_sent(page: Page, live_server, national):
    events = pd.read_csv(national / "events.csv", dtype=str)
    assert len(events) > OPTIONS_SHOWN
    unique = events[~events["name_zh"].duplicated(keep=False)]
    late = unique[unique.index >= OPTIONS_SHOWN].iloc[-1]  # not among the options first sent
    open_page(page, live_server)
    choose(page, "f-campaign", late["name_zh"])
    expect(chips(page, "f-campaign")).to_have_text([late["name_zh"]])
    expect(page).to_have_url(f"{live_server}/?campaign={late['event_id']}")
