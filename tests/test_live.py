"""Live data: running servers pick up a new dataset version without a restart — in one
process, under gunicorn behind nginx while users click, and on two servers sharing one
PostgreSQL — and never answer from half a version or with an error while it comes in."""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from app import create_app
from benchmarks.common import worker_pids
from benchmarks.load_test import RequestLog, user
from benchmarks.stack import serve_stack
from dashboard.live import LiveData
from metrics.store import FolderStore, NewReport, Store
from metrics.store.postgres import PostgresStore

from .conftest import DATA, ROOT
from .test_add import REPORT, ROWS, write_review

HEFEI = {
    "city": "合肥",
    "name_en": "Hefei",
    "province": "安徽",
    "province_en": "Anhui",
    "adcode": "340100",
    "province_adcode": "340000",
    "latitude": "31.8206",
    "longitude": "117.2272",
}


def hefei_report(n: int) -> NewReport:
    """A report that brings a city, an event (a campaign) and a figure the bundled data lacks."""
    source_id = f"02{n}_hefei_{n}"
    month = f"2019-{n + 1:02d}"
    last = f"{month}-{calendar.monthrange(2019, n + 1)[1]}"
    text = f"2019年{n + 1}月，合肥市举办第{n}届电商节。活动期间销售额超过{n + 1}亿元。\n"
    content = text.encode()
    event = f"hefei-2019-festival-{n}"
    quote = f"活动期间销售额超过{n + 1}亿元"
    rows = {
        "sources": [
            {
                "source_id": source_id,
                "path": f"sources/{source_id}.txt",
                "sha256": hashlib.sha256(content).hexdigest(),
                "title_zh": f"合肥第{n}届电商节",
                "title_en": f"Hefei festival {n}",
                "title_origin": "curator",
                "city": "合肥",
                "event_date_inferred": "false",
            }
        ],
        "events": [
            {
                "event_id": event,
                "name_zh": f"合肥第{n}届电商节",
                "name_en": f"Hefei e-commerce festival {n}",
                "kind": "festival",
                "city": "合肥",
                "start": f"{month}-01",
                "end": last,
                "precision": "month",
                "date_inferred": "false",
                "source_id": source_id,
                "quote": f"2019年{n + 1}月，合肥市举办第{n}届电商节",
            }
        ],
        "figures": [
            {
                "figure_id": f"hefei-2019-festival-{n}-sales",
                "source_id": source_id,
                "quote": quote,
                "raw": f"超过{n + 1}亿元",
                "value": str((n + 1) * 100_000_000),
                "unit": "CNY",
                "qualifier": "more_than",
                "derivation": "stated",
                "metric": "campaign_sales",
                "city": "合肥",
                "event_id": event,
                "label_zh": f"合肥第{n}届电商节：销售额",
                "label_en": f"Hefei festival {n}: sales",
                "period_start": f"{month}-01",
                "period_end": last,
                "period_precision": "month",
                "date_inferred": "false",
            }
        ],
        "figure_industries": [{"figure_id": f"hefei-2019-festival-{n}-sales", "industry": "家电"}],
    }
    files = {f"sources/{source_id}.txt": content}
    # The city comes from the national list: added by the first report that needs it.
    return NewReport(source_id, files, rows, references={"cities": [HEFEI]})


# --- one process --------------------------------------------------------------------------------


def test_a_new_version_is_loaded_whole_and_a_broken_one_is_not_served(store, caplog):
    live = LiveData(store)
    assert live.current.version == 2 and live.fetch() is None  # nothing new
    store.add(hefei_report(1), actor="li.wei")
    new = live.fetch()
    assert new is not None
    live.install(new)
    assert live.current.version == 3
    assert "hefei-2019-festival-1-sales" in set(live.current.dataset.figures["figure_id"])
    assert live.fetch() is None
    break_store(store)
    with caplog.at_level(logging.ERROR, logger="metrics.live"):
        assert live.fetch() is None
    assert "cannot be served" in caplog.text and "not found verbatim" in caplog.text
    assert live.current.version == 3  # still serving the last good version
    caplog.clear()
    assert live.fetch() is None and not caplog.text  # the same broken state: not reloaded


def break_store(store: Store) -> None:
    """Make a stored quote wrong behind the store's back (a hand edit, an SQL tool)."""
    if isinstance(store, FolderStore):
        path = store.directory / "figures.csv"
        path.write_text(
            path.read_text(encoding="utf-8").replace("已达到3.55亿元", "已达到3.56亿元"),
            encoding="utf-8",
        )
        return
    assert isinstance(store, PostgresStore)
    import psycopg

    before = store.stamp()
    with psycopg.connect(store.url) as connection:
        connection.execute(
            "UPDATE figures SET quote = replace(quote, '3.55', '3.56'), raw = '3.56亿元', "
            "value = 356000000 WHERE figure_id = 'chuzhou-2018-618-sales'"
        )
        # A change of the data that the store did not make: the version moves by hand too.
        connection.execute(
            "INSERT INTO changes (version, at, actor, action, note) "
            "VALUES (4, now(), 'dba', 'import', 'fixed by hand')"
        )
    # The server counts the update in its statistics once that session has ended.
    deadline = time.monotonic() + 10
    while store.stamp()[2] == before[2]:
        assert time.monotonic() < deadline, "the update never showed in the statistics"
        time.sleep(0.05)


def post_callback(target, part: str, inputs: list, state: list | None = None) -> dict:
    """Call, as the page does, the callback whose output names ``part``, on a test client or
    a server's URL; its response."""

    def get(path: str):
        if isinstance(target, str):
            return requests.get(target + path, timeout=30).json()
        return target.get(path).get_json()

    output = next(d["output"] for d in get("/_dash-dependencies") if part in d["output"])
    specs = output[2:-2].split("...") if output.startswith("..") else [output]
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1), strict=True)) for o in specs]
    body = {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
    }
    if isinstance(target, str):
        answer = requests.post(target + "/_dash-update-component", json=body, timeout=30)
        assert answer.status_code == 200, answer.text[:300]
        return answer.json()["response"]
    answer = target.post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.data[:300]
    return answer.get_json()["response"]


def served_version(target) -> int:
    """The dataset version the server (or the worker that answers) serves."""
    response = post_callback(
        target,
        "version.data",
        [{"id": "tick", "property": "n_intervals", "value": 1}],
        [{"id": "version", "property": "data", "value": None}],
    )
    return int(response["version"]["data"])


def city_options(target, lang: str = "zh") -> list[str]:
    response = post_callback(
        target,
        "f-city.options...",  # the options of every filter, not the search of one
        [
            {"id": "state", "property": "data", "value": {"lang": lang}},
            {"id": "version", "property": "data", "value": None},
        ],
    )
    return [o["value"] for o in response["f-city"]["options"]]


def test_the_page_follows_a_new_version_and_its_options(store):
    app = create_app(store=store)
    client = app.server.test_client()
    assert served_version(client) == 2 and "合肥" not in city_options(client)
    store.add(hefei_report(1))
    app.live.install(app.live.fetch())
    assert served_version(client) == 3
    assert "合肥" in city_options(client)
    # A page that already shows version 3 is not told again.
    unchanged = post_callback(
        client,
        "version.data",
        [{"id": "tick", "property": "n_intervals", "value": 2}],
        [{"id": "version", "property": "data", "value": 3}],
    )
    assert unchanged == {} or unchanged.get("version", {}).get("data") in (None, 3)


# --- gunicorn behind nginx, under load ------------------------------------------------------


def wait_for_version(url: str, version: int, limit: float = 10.0) -> float:
    """Seconds until the server answers with ``version`` (or fail after ``limit``); asked
    several times per try, since a rollover has old and new workers answering at once."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if all(served_version(url) >= version for _ in range(4)):
            return time.monotonic() - start
        time.sleep(0.2)
    pytest.fail(f"{url} did not serve version {version} within {limit:.0f} s")


@pytest.mark.server
def test_new_versions_arrive_under_load_without_a_failed_request(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    store = FolderStore(data)
    log, stop = RequestLog(), threading.Event()
    with serve_stack(workers=2, data=data, env={"METRICS_POLL_SECONDS": "1"}) as server:
        users = [
            threading.Thread(
                target=user,
                args=(server.url, log, seed, time.monotonic() + 120, 0.1, stop),
                daemon=True,
            )
            for seed in range(6)
        ]
        for thread in users:
            thread.start()
        time.sleep(2)
        waits = []
        for n in (1, 2, 3):
            store.add(hefei_report(n))
            waits.append(wait_for_version(server.url, 2 + n))
            assert (
                f"hefei-2019-festival-{n}"
                in requests.get(server.url + "/_dash-layout", timeout=30).text
            )  # the campaign dropdown offers the new event
            time.sleep(1)
        stop.set()
        for thread in users:
            thread.join(60)
        logged = server.log.read_text(errors="replace")
    requests_made = sum(len(v) for v in log.latencies.values())
    assert requests_made > 100, requests_made
    assert dict(log.errors) == {}, log.samples
    assert max(waits) < 10, waits
    assert logged.count("now serving version") == 3


# --- two servers, one database -----------------------------------------------------------------


@pytest.mark.server
def test_two_stacks_share_one_database(pg_url, tmp_path):
    env = {"METRICS_DATABASE_URL": pg_url, "METRICS_POLL_SECONDS": "1"}
    with serve_stack(workers=2, env=env) as a, serve_stack(workers=2, env=env) as b:
        assert served_version(a.url) == served_version(b.url) == 2
        # A curator on machine A adds a report: both machines show it.
        report = tmp_path / "010_anhui_goods_festival.txt"
        report.write_text(REPORT, encoding="utf-8")
        review = write_review(tmp_path / "review.csv", ROWS)
        added = subprocess.run(
            [sys.executable, "-m", "metrics", "add", str(report), str(review)],
            cwd=ROOT,
            env={**os.environ, **env, "METRICS_DATA_DIR": ""},
            capture_output=True,
            text=True,
        )
        assert added.returncode == 0, added.stderr
        assert wait_for_version(a.url, 3) < 10 and wait_for_version(b.url, 3) < 10
        # Machine A's workers stop: B goes on serving, and on following the database.
        master = int(next(line for line in _pids(a)))
        stopped = worker_pids(master) | {master}
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        try:
            store = PostgresStore(pg_url)
            store.withdraw("010_anhui_goods_festival", "added twice", actor="li.wei")
            assert wait_for_version(b.url, 4) < 10
            assert requests.get(b.url + "/", timeout=10).status_code == 200
            with pytest.raises(requests.RequestException):
                requests.get(a.url + "/", timeout=3)  # A is down, visibly
        finally:
            for pid in stopped:
                # A worker already on its way out when A stopped (replaced after the add's
                # new version) may have gone since: nothing to wake.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
        assert wait_for_version(a.url, 4) < 10  # and A catches up when it is back


def _pids(server) -> list[str]:
    """The gunicorn master of a stack: serve.py's child that runs gunicorn."""
    out = subprocess.run(
        ["pgrep", "-P", str(server.process.pid), "-f", "gunicorn"],
        capture_output=True,
        text=True,
    ).stdout
    return out.split()
