"""The app as production serves it: ``gunicorn app:server`` on a real socket."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn_url() -> Iterator[str]:
    port = _free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen(
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", "2", "app:server"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "METRICS_DATA_DIR": ""},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode()) from None
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_gunicorn_serves_the_page(gunicorn_url):
    with urllib.request.urlopen(gunicorn_url + "/") as response:
        page = response.read().decode()
    assert response.status == 200
    assert "<title>区域数字经济指标</title>" in page
    assert "/assets/style.css" in page


def test_layout_shows_every_figure_with_value_and_quote(gunicorn_url, dataset):
    with urllib.request.urlopen(gunicorn_url + "/_dash-layout") as response:
        layout = json.dumps(json.load(response), ensure_ascii=False)
    for figure_id in dataset.figures["figure_id"]:
        assert f"figure-{figure_id}" in layout
    for text in (
        "1.36亿元",
        "3.55亿元",
        ">1000亿元",
        "目标 ~1300亿元",
        "≥5家",
        "截至本月25日，在滁相关企业在京东销售额已达到3.55亿元",
        "（年份为推定）",
    ):
        assert text in layout


def test_page_loads_scripts_and_styles_only_from_the_app_itself(gunicorn_url):
    with urllib.request.urlopen(gunicorn_url + "/") as response:
        page = response.read().decode()
    links = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(link.endswith(".js") or ".js?" in link for link in links)
    assert [link for link in links if not link.startswith("/") or link.startswith("//")] == []
    for link in links:  # and each of them is really there
        with urllib.request.urlopen(gunicorn_url + link) as response:
            assert response.status == 200, link
