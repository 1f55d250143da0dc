"""Curation without a browser: accounts and the workspace in both stores, the steps a report
takes, and the guards — anonymous and viewer requests to every curation route and callback,
throttled sign-ins, requests from other sites, bad uploads, HTML in a report."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import replace

import docx
import pytest
from flask.testing import FlaskClient

from app import create_app
from dashboard.curate.app import _save_cells
from metrics.cli import main
from metrics.curate.accounts import AccountError, new_account, password_matches
from metrics.curate.drafts import DraftError, edit_rows, kept
from metrics.curate.formats import read_pasted
from metrics.curate.workflow import Curation, NotAllowed
from metrics.curate.workspace import SELF_APPROVAL, FolderWorkspace, open_workspace
from metrics.errors import ConflictError
from metrics.store import Store

from .test_add import location_args

PASSWORD = "correct-horse-battery"
ORIGIN = {"Origin": "http://localhost"}
REPORT = (
    "2019年3月，合肥市与京东联合举办“徽风皖韵”家电节。"
    "2019年3月活动期间，参与家电企业在京东的销售额超过2亿元。\n"
)


@pytest.fixture
def workspace(store: Store, tmp_path, monkeypatch):
    monkeypatch.setenv("METRICS_INSTANCE_DIR", str(tmp_path / "instance"))
    found = open_workspace(store)
    for name, role in (
        ("li.wei", "curator"),
        ("zhang.min", "curator"),
        ("wang.fang", "viewer"),
        ("chen.jie", "admin"),
    ):
        found.put_account(new_account(name, role, PASSWORD), new=True)
    return found


@pytest.fixture
def site(store: Store, workspace):
    """The app on the store, and a client per person (each its own cookies)."""
    app = create_app(store=store)
    return app


def client_of(app, name: str | None) -> FlaskClient:
    client = app.server.test_client()
    if name is not None:
        answer = sign_in(client, name)
        assert answer.status_code == 303, answer.data[:300]
    return client


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD, origin=ORIGIN):
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf": token},
        headers=origin,
    )


def token_of(client: FlaskClient, path: str = "/curate/upload") -> str:
    page = client.get(path, headers={"Accept": "text/html"}).data.decode()
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


# --- accounts and the workspace, in both stores ---------------------------------------------


def test_accounts_are_stored_hashed_and_checked(workspace):
    account = workspace.account("li.wei")
    assert account is not None and account.role == "curator"
    assert PASSWORD not in account.password_hash and account.password_hash.startswith("$argon2")
    assert password_matches(account, PASSWORD) and not password_matches(account, "wrong-password")
    assert not password_matches(None, PASSWORD)
    with pytest.raises(ConflictError, match="already an account"):
        workspace.put_account(new_account("li.wei", "admin", PASSWORD), new=True)
    with pytest.raises(AccountError, match="at least 10"):
        new_account("zhao", "curator", "short")
    with pytest.raises(AccountError, match="role must be one of"):
        new_account("zhao", "boss", PASSWORD)
    workspace.put_account(replace(account, disabled=True), new=False)
    assert not workspace.account("li.wei").can("viewer")


def test_the_session_key_is_made_once_and_shared(workspace, store):
    key = workspace.secret_key()
    assert len(key) == 64 and open_workspace(store).secret_key() == key


def test_failed_sign_ins_are_counted_per_key_for_a_minute(workspace):
    workspace.note_failure(["account:x", "address:1.2.3.4"])
    workspace.note_failure(["account:x"])
    assert workspace.failures("account:x", 60) == 2
    assert workspace.failures("address:1.2.3.4", 60) == 1
    assert workspace.failures("account:y", 60) == 0


def test_a_draft_saved_meanwhile_by_someone_else_is_not_overwritten(workspace, store):
    curation = Curation(store, workspace)
    account, dataset = workspace.account("li.wei"), store.load()
    draft = curation.upload(account, read_pasted(REPORT), dataset, filename="pasted.txt")
    first = curation.save(account, edit_rows(draft, [dict(r, label_zh="甲") for r in draft.rows]))
    with pytest.raises(ConflictError, match="saved by someone else meanwhile"):
        curation.save(account, edit_rows(draft, [dict(r, label_zh="乙") for r in draft.rows]))
    assert workspace.draft(draft.id).rows[0]["label_zh"] == "甲" and first.revision == 2


def test_grid_edits_land_cell_by_cell_on_the_stored_draft(workspace, store):
    """A page one revision behind (its first save's answer dropped by the browser) still
    saves a second cell; someone else's change of the same cell is never typed over."""
    curation = Curation(store, workspace)
    account, dataset = workspace.account("li.wei"), store.load()
    draft = curation.upload(account, read_pasted(REPORT), dataset, filename="pasted.txt")
    old_zh, old_en = draft.rows[0]["label_zh"], draft.rows[0]["label_en"]

    def change(column, old, new):
        return [{"rowId": "0", "colId": column, "oldValue": old, "value": new}]

    _save_cells(curation, account, draft.id, change("label_zh", old_zh, "甲"))
    second = _save_cells(curation, account, draft.id, change("label_en", old_en, "A"))
    assert (second.rows[0]["label_zh"], second.rows[0]["label_en"], second.revision) == (
        "甲",
        "A",
        draft.revision + 2,
    )
    with pytest.raises(ConflictError, match="someone else changed it meanwhile to «甲»"):
        _save_cells(curation, account, draft.id, change("label_zh", old_zh, "乙"))
    unkept = _save_cells(curation, account, draft.id, change("keep", True, False))
    assert kept(unkept) == [] and workspace.draft(draft.id).rows[0]["label_zh"] == "甲"


def test_a_report_goes_from_upload_to_approval_and_the_trail_says_who(workspace, store):
    curation = Curation(store, workspace)
    li, zhang = workspace.account("li.wei"), workspace.account("zhang.min")
    dataset = store.load()
    draft = curation.upload(li, read_pasted(REPORT), dataset, filename="pasted.txt")
    assert [r["raw"] for r in draft.rows] == ["超过2亿元"]
    with pytest.raises(DraftError, match="problems are left"):
        curation.submit(li, replace(draft, rows=(dict(draft.rows[0], label_zh=""),)), dataset)
    draft = curation.submit(li, draft, dataset)
    with pytest.raises(NotAllowed, match="another curator"):
        curation.approve(li, draft, dataset)
    with pytest.raises(DraftError, match="say what should change"):
        curation.send_back(zhang, draft, " ")
    draft = curation.send_back(zhang, draft, "请核对标题")
    assert draft.status == "draft" and draft.comment == "请核对标题"
    draft = curation.submit(li, draft, dataset)
    workspace.put_setting(SELF_APPROVAL, "on")  # a small office: one person may approve
    result = curation.approve(li, draft, dataset)
    assert result.version == 3 and store.load().version == 3
    change = store.history().iloc[-1]
    assert (change["actor"], change["action"]) == ("li.wei", "add")
    trail = [(e["actor"], e["action"]) for e in workspace.audit() if e["draft_id"] == draft.id]
    assert trail == [
        ("li.wei", "upload"),
        ("li.wei", "submit"),
        ("zhang.min", "return"),
        ("li.wei", "submit"),
        ("li.wei", "approve"),
    ]
    # The text is kept as UTF-8; pasted text is its own original, so none is kept beside it.
    _, files, _ = store.read_text()
    assert files[f"sources/{draft.source_id}.txt"].decode() == REPORT
    assert not any(p.startswith("sources/originals/") for p in files)


def test_a_viewer_may_not_take_a_step(workspace, store):
    curation = Curation(store, workspace)
    with pytest.raises(NotAllowed, match=r"wang\.fang"):
        curation.upload(
            workspace.account("wang.fang"), read_pasted(REPORT), store.load(), filename="x.txt"
        )


def test_users_commands(store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("METRICS_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("METRICS_PASSWORD", PASSWORD)
    where = location_args(store)
    assert main(["users", "add", "li.wei", "--role", "curator", *where]) == 0
    assert main(["users", "add", "li.wei", "--role", "curator", *where]) == 2
    assert "already an account" in capsys.readouterr().err
    assert main(["users", "disable", "li.wei", *where]) == 0
    assert main(["users", "list", *where]) == 0
    assert "li.wei\tcurator (disabled)" in capsys.readouterr().out
    assert main(["users", "passwd", "nobody", *where]) == 2
    assert main(["users", "self-approval", "on", *where]) == 0
    assert "their own submission: on" in capsys.readouterr().out
    monkeypatch.setenv("METRICS_PASSWORD", "short")
    assert main(["users", "add", "zhao", "--role", "admin", *where]) == 2
    # Accounts are never part of the data package.
    text, _, _ = store.read_text()
    assert "li.wei" not in json.dumps({n: t.to_csv() for n, t in text.items()}, ensure_ascii=False)


# --- the guards ----------------------------------------------------------------------------


def curation_callbacks(app) -> list[str]:
    from dashboard.curate.app import create_curate_app  # noqa: F401  (what registers them)

    deps = client_of(app, "li.wei").get("/curate/_dash-dependencies").get_json()
    return [d["output"] for d in deps]


@pytest.mark.parametrize("who", [None, "wang.fang"])
def test_anonymous_and_viewer_requests_to_curation_are_refused(site, who):
    client = client_of(site, who)
    status = 401 if who is None else 403
    for output in curation_callbacks(site):
        answer = client.post(
            "/curate/_dash-update-component",
            json={"output": output, "outputs": [], "inputs": [], "state": []},
            headers=ORIGIN,
        )
        assert answer.status_code == status, (output, answer.status_code)
        assert answer.get_json() == {
            "error": "sign in first" if who is None else "this needs a curator account"
        }
    for path in (
        "/curate/",
        "/curate/_dash-layout",
        "/curate/_dash-dependencies",
        "/curate/upload",
    ):
        answer = client.get(path, headers={"Accept": "application/json"})
        assert answer.status_code == status, path
    page = client.get("/curate/?draft=0123456789ab", headers={"Accept": "text/html"})
    assert page.status_code == (303 if who is None else 403)
    answer = client.post("/curate/upload", data={"pasted": REPORT}, headers=ORIGIN)
    assert answer.status_code == status
    assert client.get("/").status_code == 200  # viewing stays open


def test_viewing_can_require_signing_in(site, monkeypatch):
    monkeypatch.setenv("METRICS_REQUIRE_SIGN_IN", "1")
    anonymous = client_of(site, None)
    assert anonymous.get("/", headers={"Accept": "text/html"}).status_code == 303
    assert anonymous.post("/_dash-update-component", json={}, headers=ORIGIN).status_code == 401
    assert anonymous.get("/login").status_code == 200
    assert client_of(site, "wang.fang").get("/").status_code == 200


def test_repeated_failed_sign_ins_are_throttled(site):
    client = client_of(site, None)
    for _ in range(10):
        assert sign_in(client, "li.wei", "wrong-password").status_code == 401
    assert sign_in(client, "li.wei", "wrong-password").status_code == 429
    assert sign_in(client, "li.wei").status_code == 429  # the right one waits too
    # The same address trying other names is throttled as well.
    assert sign_in(client, "zhang.min").status_code == 429


def test_a_wrong_name_and_a_wrong_password_read_the_same(site):
    client = client_of(site, None)
    wrong_name = sign_in(client, "nobody-here", PASSWORD)
    wrong_password = sign_in(client, "li.wei", "wrong-password")
    assert wrong_name.status_code == wrong_password.status_code == 401
    strip = lambda a: re.sub(r'value="[^"]*"', "", a.data.decode())  # noqa: E731
    assert strip(wrong_name) == strip(wrong_password)


def test_requests_from_another_site_are_refused(site):
    client = client_of(site, "li.wei")
    evil = {"Origin": "http://evil.example"}
    assert client.post("/curate/_dash-update-component", json={}, headers=evil).status_code == 403
    assert client.post("/curate/upload", data={"pasted": REPORT}, headers=evil).status_code == 403
    assert client.post("/curate/upload", data={"pasted": REPORT}).status_code == 403  # no origin
    token = token_of(client)
    assert client.post("/logout", data={"csrf": token}, headers=evil).status_code == 403
    assert client.post("/logout", data={"csrf": "forged"}, headers=ORIGIN).status_code == 403
    anonymous = client_of(site, None)
    assert sign_in(anonymous, "li.wei", origin=evil).status_code == 403
    # A form that lacks the session's token is refused even from this site.
    refused = client.post("/curate/upload", data={"pasted": REPORT, "csrf": "x"}, headers=ORIGIN)
    assert refused.status_code == 403


def test_session_cookies_are_httponly_samesite_and_secure_over_https(site, monkeypatch):
    client = site.server.test_client()
    answer = sign_in(client, "li.wei")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = site.server.test_client()
    page = secure.get("/login", base_url="https://localhost").data.decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = secure.post(
        "/login",
        data={"username": "li.wei", "password": PASSWORD, "csrf": token},
        headers={"Origin": "https://localhost"},
        base_url="https://localhost",
    )
    assert "Secure" in answer.headers["Set-Cookie"]


def _docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _bomb() -> bytes:
    good = zipfile.ZipFile(io.BytesIO(_docx(["正文。" * 10])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in good.infolist():
            bomb.writestr(item, good.read(item))
        with bomb.open("word/media/huge.bin", "w") as member:
            for _ in range(200):
                member.write(b"\0" * 2**20)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.txt", b"", "空文件"),
        ("report.xlsx", b"PK\x03\x04", ".txt"),
        ("big.txt", b"x" * (20 * 2**20 + 1), "20"),
        ("bomb.docx", _bomb(), "不是正常的 Word 文档"),
        ("broken.docx", b"PK\x03\x04 not really", "docx"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj <<", "PDF"),
    ],
)
def test_a_bad_upload_says_why_and_leaves_nothing(site, workspace, name, content, words):
    client = client_of(site, "li.wei")
    token = token_of(client)
    answer = client.post(
        "/curate/upload",
        data={"csrf": token, "lang": "zh", "file": (io.BytesIO(content), name)},
        headers=ORIGIN,
        content_type="multipart/form-data",
    )
    assert answer.status_code in (400, 413), answer.status_code
    if answer.status_code == 400:
        page = answer.data.decode()
        message = re.search(r'role="alert">([^<]+)<', page).group(1)
        assert words in message, message
    assert workspace.drafts() == []
    if isinstance(workspace, FolderWorkspace):  # nor any file of it in the instance folder
        assert not list((workspace.directory / "drafts").iterdir())


def test_html_in_a_report_is_shown_as_text(site, workspace):
    client = client_of(site, "li.wei")
    token = token_of(client)
    hostile = REPORT + '<script>alert("x")</script><img src=x onerror="alert(1)">\n'
    answer = client.post(
        "/curate/upload",
        data={"csrf": token, "lang": "zh", "pasted": hostile},
        headers=ORIGIN,
    )
    assert answer.status_code == 303
    draft = workspace.drafts()[0]
    assert "<script>" in draft.text  # kept as the text it is
    from dashboard.curate import views

    parts = views.text_view(draft)
    assert all(isinstance(p, str) or p.__class__.__name__ == "Mark" for p in parts)
    assert any("<script>" in p for p in parts if isinstance(p, str))
    assert kept(draft)
