"""The curation page, ``/curate``: a second Dash app on the dashboard's server, for curators.

Its layout is a shell; what it shows follows its URL (``?draft=ID``, ``?lang=en``). Uploads
arrive as a plain multipart form (``POST /curate/upload``), so a 20 MB report never travels
as a callback's JSON. Every route and callback under ``/curate`` is guarded on the server
(:mod:`dashboard.curate.auth`); the callbacks here are thin: they read the signed-in account,
call :class:`metrics.curate.workflow.Curation`, and draw with :mod:`dashboard.curate.views`.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import Flask, Response, redirect, request, session
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard.curate import views
from dashboard.curate.auth import csrf_token, current_account, token_matches
from dashboard.curate.texts import page_text
from dashboard.live import LiveData
from metrics.curate.accounts import Account
from metrics.curate.drafts import (
    EVENT_FIELDS,
    Draft,
    DraftError,
    add_from_quote,
    edit_rows,
)
from metrics.curate.formats import MAX_UPLOAD_BYTES, UploadError, read_pasted, read_upload
from metrics.curate.workflow import Curation, NotAllowed
from metrics.errors import ConflictError, DataValidationError, MetricsError
from metrics.messages import message_text

ASSETS = Path(__file__).resolve().parent.parent.parent / "assets"
FORM_OVERHEAD = 2**20  # a multipart body's headers and text fields, beyond the file itself


def create_curate_app(server: Flask, live: LiveData, curation: Curation) -> Dash:
    app = Dash(
        __name__,
        server=server,
        url_base_pathname="/curate/",
        serve_locally=True,
        assets_folder=str(ASSETS),
        assets_ignore=r"plotly-.*\.js",  # the dashboard's charts: no chart here
        title="报道审核 · 区域数字经济指标",
        update_title=None,
        # The review's components exist only while a report is open.
        suppress_callback_exceptions=True,
    )
    app.index_string = app.index_string.replace("<html>", '<html lang="zh-CN">', 1)
    app.layout = html.Div(
        [
            dcc.Location(id="curate-url", refresh=False),
            dcc.Store(id="draft-state"),  # {"id", "revision", "lang", "selected"}
            html.Header(id="curate-header", className="top"),
            html.Main(id="curate-content", className="curate"),
        ],
        id="curate-root",
    )
    _register(app, live, curation)
    _upload_route(server, live, curation)
    return app


def _query(search: str | None) -> tuple[str, str]:
    values = parse_qs((search or "").lstrip("?"))
    lang = "en" if values.get("lang", [""])[0] == "en" else "zh"
    return values.get("draft", [""])[0], lang


def _header(lang: str) -> list[Any]:
    account = current_account()
    assert account is not None  # the guard let only curators in
    other = "zh" if lang == "en" else "en"
    return [
        html.Div([html.H1(page_text("title", lang)), html.P(page_text("subtitle", lang))]),
        html.Div(
            [
                html.Span(
                    page_text(
                        "signed_in",
                        lang,
                        name=account.name,
                        role=page_text(f"role_{account.role}", lang),
                    )
                ),
                html.A(page_text("dashboard", lang), href=f"/?lang={lang}"),
                html.A(page_text("lang_switch", lang), href=f"/curate/?lang={other}"),
                html.Form(
                    [
                        dcc.Input(type="hidden", name="csrf", value=csrf_token()),
                        html.Button(page_text("logout", lang), type="submit"),
                    ],
                    action="/logout",
                    method="post",
                    className="inline-form",
                ),
            ],
            className="curate-account",
        ),
    ]


def _register(app: Dash, live: LiveData, curation: Curation) -> None:
    @app.callback(
        Output("curate-header", "children"),
        Output("curate-content", "children"),
        Output("draft-state", "data"),
        Input("curate-url", "search"),
    )
    def render(search: str | None) -> tuple[Any, Any, Any]:
        draft_id, lang = _query(search)
        account = current_account()
        assert account is not None
        dataset = live.current.dataset
        if not draft_id:
            flash = session.pop("curate_flash", "")
            history = views.merged_history(curation.workspace.audit(), curation.store.history())
            content = views.listing(
                curation.workspace.drafts(),
                history,
                dataset.sources,
                flash,
                lang,
            )
            return _header(lang), content, None
        draft = curation.workspace.draft(draft_id)
        if draft is None:
            return _header(lang), html.P(page_text("not_found", lang)), None
        problems = curation.check(draft, dataset)
        content = views.review(
            draft, problems, dataset, account, curation.may_approve(account, draft), lang
        )
        notes = session.pop("curate_flash", "")
        if notes:
            content.children.insert(0, html.P(notes, role="status", className="curate-message"))
        state = {"id": draft.id, "revision": draft.revision, "lang": lang}
        return _header(lang), content, state

    @app.callback(
        Output("grid", "rowData"),
        Output("report-text", "children", allow_duplicate=True),
        Output("problems", "children"),
        Output("message", "children"),
        Output("draft-state", "data", allow_duplicate=True),
        Output("curate-url", "search", allow_duplicate=True),
        Input("grid", "cellValueChanged"),
        Input("add-quote", "n_clicks"),
        Input("title-zh", "value"),
        Input("title-en", "value"),
        Input("submit", "n_clicks"),
        Input("approve", "n_clicks"),
        Input("return", "n_clicks"),
        Input("add-event", "n_clicks"),
        State("draft-state", "data"),
        State("quote", "value"),
        State("comment", "value"),
        State("event-id", "value"),
        State("event-name-zh", "value"),
        State("event-name-en", "value"),
        State("event-kind", "value"),
        State("event-city", "value"),
        State("event-start", "value"),
        State("event-end", "value"),
        State("event-precision", "value"),
        State("event-quote", "value"),
        prevent_initial_call=True,
    )
    def act(changed, _quote_clicks, title_zh, title_en, *rest) -> tuple[Any, ...]:
        _, _, _, _, state, quote, comment, *event_values = rest  # the step buttons, then state
        # Dash calls this once with every input "triggered" when the review is drawn: that is
        # the page appearing, not a person acting, and saving then would race their first edit.
        if not isinstance(state, dict) or "id" not in state or len(ctx.triggered_prop_ids) > 1:
            return (no_update,) * 6
        lang = state.get("lang", "zh")
        account = current_account()
        assert account is not None
        dataset = live.current.dataset
        draft = curation.workspace.draft(str(state["id"]))
        if draft is None:
            return (*(no_update,) * 3, page_text("not_found", lang), no_update, no_update)
        # The page's copy must be the stored one: someone else's save would otherwise be lost.
        draft = replace(draft, revision=int(state.get("revision", draft.revision)))
        trigger = ctx.triggered_id
        message: Any = ""
        search: Any = no_update
        try:
            if trigger == "grid":
                draft = _save_cells(curation, account, str(state["id"]), changed)
                message = page_text("saved", lang, revision=draft.revision)
            elif trigger == "add-quote":
                draft = curation.save(account, add_from_quote(draft, quote or "", dataset))
                message = page_text("saved", lang, revision=draft.revision)
            elif trigger in ("title-zh", "title-en"):
                titles = {
                    "title_zh": (title_zh or "").strip(),
                    "title_en": (title_en or "").strip(),
                }
                if titles == {"title_zh": draft.title_zh, "title_en": draft.title_en}:
                    return (no_update,) * 6  # nothing changed: no new revision
                draft = curation.save(account, replace(draft, **titles))
                message = page_text("saved", lang, revision=draft.revision)
            elif trigger == "add-event":
                event = dict(zip(_EVENT_INPUTS, (v or "" for v in event_values), strict=True))
                draft = curation.save(account, _with_event(draft, event))
                message = page_text("event_added", lang, event=event["event_id"])
                search = f"?{urlencode({'draft': draft.id, 'lang': lang})}"  # redraw the grid
            elif trigger == "submit":
                draft = curation.submit(account, draft, dataset)
                search = f"?{urlencode({'draft': draft.id, 'lang': lang})}"
            elif trigger == "approve":
                result = curation.approve(account, draft, dataset)
                message = [
                    page_text("approved", lang, version=result.version),
                    " ",
                    html.A(
                        page_text("approved_link", lang),
                        href=f"/?{urlencode({'source': draft.source_id, 'lang': lang})}",
                        id="approved-link",
                    ),
                ]
                draft = curation.workspace.draft(draft.id) or draft
            elif trigger == "return":
                draft = curation.send_back(account, draft, comment or "")
                search = f"?{urlencode({'draft': draft.id, 'lang': lang})}"
        except DataValidationError as exc:
            message = [message_text(p.message, lang) for p in exc.problems[:3]]
            message = "；".join(message)
        except (DraftError, NotAllowed, ConflictError, MetricsError) as exc:
            message = str(exc)
        problems = curation.check(draft, dataset)
        new_state = {**state, "revision": draft.revision}
        return (
            views.grid_rows(draft, problems, lang),
            views.text_view(draft),
            views.problem_list(problems, draft, lang),
            message,
            new_state,
            search,
        )

    @app.callback(
        Output("report-text", "children"),
        Output("sentence", "children"),
        Input("grid", "selectedRows"),
        State("draft-state", "data"),
        prevent_initial_call=True,
    )
    def select(selected: Any, state: Any) -> tuple[Any, Any]:
        """A chosen row shows its sentence: apart from the saves, so that choosing a row
        never sends, and never cancels, a save."""
        if not isinstance(state, dict) or "id" not in state:
            return no_update, no_update
        draft = curation.workspace.draft(str(state["id"]))
        if draft is None:
            return no_update, no_update
        position = _selected(selected)
        lang = state.get("lang", "zh")
        return views.text_view(draft, position), views.sentence_of(draft, position, lang)

    @app.callback(
        Output("withdraw-message", "children"),
        Input("withdraw", "n_clicks"),
        State("withdraw-source", "value"),
        State("withdraw-reason", "value"),
        State("curate-url", "search"),
        prevent_initial_call=True,
    )
    def withdraw(clicks: int, source: str | None, reason: str | None, search: str | None) -> str:
        _, lang = _query(search)
        account = current_account()
        assert account is not None
        if not clicks or not source:
            return no_update
        try:
            figures = live.current.dataset.figures
            count = int((figures["source_id"].astype(str) == source).sum())
            curation.withdraw(account, source, reason or "")
        except MetricsError as exc:
            return str(exc)
        return page_text("withdrawn", lang, source=source, n=count)


_EVENT_INPUTS = (
    "event_id",
    "name_zh",
    "name_en",
    "kind",
    "city",
    "start",
    "end",
    "precision",
    "quote",
)


def _selected(rows: Any) -> int | None:
    if isinstance(rows, list) and rows and isinstance(rows[0], dict):
        try:
            return int(rows[0].get("_row", ""))
        except ValueError:
            return None
    return None


def _save_cells(curation: Curation, account: Account, draft_id: str, changes: Any) -> Draft:
    """Save the grid's cell edits onto the stored draft, cell by cell.

    The page's copy of the draft may be behind the stored one for an innocent reason: a
    person edits a second cell before the first save has answered (the browser then drops
    the first answer, and with it the new revision). So an edit is checked where it can
    clash: each cell must still hold, in the stored draft, the value the person saw before
    typing. Someone else's edit of another cell is kept; of the same cell, it is refused."""
    for _ in range(3):  # a save between our read and our write: read again and re-check
        draft = curation.workspace.draft(draft_id)
        if draft is None:
            raise DraftError("this report is no longer in the workspace")
        edited = _edited(draft, changes)  # a clash of cells is final: not tried again
        if edited.rows == draft.rows:  # a change the store already holds: no new revision
            return draft
        try:
            return curation.save(account, edited)
        except ConflictError:
            continue
    raise ConflictError("this report is being saved by someone else right now; try again")


def _edited(draft: Draft, changes: Any) -> Draft:
    """``draft`` with the grid's cell changes, each ``{rowId, colId, oldValue, value}``.

    Raises ConflictError when a cell no longer holds the value the change was typed over."""
    rows = [dict(r) for r in draft.rows]
    for change in changes if isinstance(changes, list) else []:
        if not isinstance(change, dict):
            continue
        column = str(change.get("colId", ""))
        try:
            position = int(str(change.get("rowId", "")))
        except ValueError:
            continue
        if column.startswith("_") or not 0 <= position < len(rows) or column not in rows[position]:
            continue
        stored = rows[position][column]
        old, new = change.get("oldValue"), change.get("value")
        if column == "keep":
            stored, old, new = _kept(stored), _kept(old), _kept(new)
        else:
            stored, old, new = str(stored or ""), str(old or ""), str(new or "")
        if stored != old and stored != new:
            raise ConflictError(
                f"row {position + 1}, {column}: someone else changed it meanwhile "
                f"to «{stored}»; reload the report to see their change"
            )
        rows[position][column] = ("yes" if new else "no") if column == "keep" else new
    return edit_rows(draft, rows)


def _kept(value: Any) -> bool:
    """A keep cell as the grid sends it (a boolean) or as a draft stores it (kept unless no)."""
    if isinstance(value, bool):
        return value
    return str(value if value is not None else "yes").casefold() not in ("no", "false", "否")


def _with_event(draft: Draft, event: dict[str, str]) -> Draft:
    if draft.status != "draft":
        raise DraftError(f"this report is {draft.status}: it can no longer be edited")
    quote = event.get("quote", "").strip()
    if quote and quote not in draft.text:
        raise DraftError("the event's sentence is not in the report word for word")
    row = {name: event.get(name, "").strip() for name in EVENT_FIELDS}
    row["date_inferred"] = "false"
    others = [e for e in draft.events if e.get("event_id") != row["event_id"]]
    return replace(draft, events=(*others, row))


def _upload_route(server: Flask, live: LiveData, curation: Curation) -> None:
    @server.before_request
    def allow_large_uploads() -> None:
        # The app takes 256 KiB bodies; a report upload alone may be a 20 MB file.
        if request.path == "/curate/upload":
            request.max_content_length = MAX_UPLOAD_BYTES + FORM_OVERHEAD

    @server.route("/curate/upload", methods=["GET", "POST"])
    def upload() -> Response:
        """A plain form (no script needed): the file, or pasted text, and optional names."""
        lang = "en" if (request.form.get("lang") or request.args.get("lang")) == "en" else "zh"
        if request.method == "GET":
            return _upload_page(lang, "")
        if not token_matches():
            return _upload_page(lang, page_text("login_stale", lang), status=403)
        account = current_account()
        assert account is not None
        try:
            sent = request.files.get("file")
            pasted = request.form.get("pasted", "")
        except RequestEntityTooLarge:
            message = page_text("upload_too_large", lang, mib=MAX_UPLOAD_BYTES // 2**20)
            return _upload_page(lang, message, status=413)
        try:
            if sent is not None and sent.filename:
                upload = read_upload(sent.filename, sent.read(MAX_UPLOAD_BYTES + 1))
                filename = sent.filename
            elif pasted.strip():
                upload, filename = read_pasted(pasted), "pasted.txt"
            else:
                return _upload_page(lang, page_text("upload_missing", lang), status=400)
            draft = curation.upload(
                account,
                upload,
                live.current.dataset,
                filename=filename,
                source_id=request.form.get("source_id", "").strip(),
                title_zh=request.form.get("title", "").strip(),
            )
        except UploadError as exc:
            message = exc.message_en if lang == "en" else exc.message_zh
            return _upload_page(lang, message, status=400)
        except (DraftError, MetricsError) as exc:
            return _upload_page(lang, str(exc), status=400)
        session["curate_flash"] = page_text("uploaded", lang, n=len(draft.rows))
        return redirect(f"/curate/?{urlencode({'draft': draft.id, 'lang': lang})}", code=303)


def _upload_page(lang: str, message: str, status: int = 200) -> Response:
    """The upload form: plain HTML, no script, the site's stylesheet."""

    def text(key: str) -> str:
        return escape(page_text(key, lang))

    notice = f'<p class="login-notice" role="alert">{escape(message)}</p>' if message else ""
    body = f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{text("upload_title")}</title><link rel="stylesheet" href="/assets/style.css"></head>
<body class="login-page"><main class="login-box upload-box">
<h1>{text("upload_title")}</h1>{notice}<p class="curate-help">{text("upload_help")}</p>
<form method="post" action="/curate/upload" enctype="multipart/form-data">
<input type="hidden" name="csrf" value="{escape(csrf_token())}">
<input type="hidden" name="lang" value="{lang}">
<label for="upload-file">{text("upload_file")}</label>
<input id="upload-file" type="file" name="file" accept=".txt,.docx,.pdf,.html,.htm">
<label for="upload-pasted">{text("upload_pasted")}</label>
<textarea id="upload-pasted" name="pasted" rows="6"></textarea>
<label for="upload-source-id">{text("upload_source_id")}</label>
<input id="upload-source-id" name="source_id" pattern="[0-9A-Za-z_]*">
<label for="upload-title">{text("upload_title_zh")}</label>
<input id="upload-title" name="title">
<button type="submit" id="upload-button">{text("upload_submit")}</button>
</form>
<p><a href="/curate/?lang={lang}">{text("back")}</a></p>
</main></body></html>"""
    return Response(body, status=status, content_type="text/html; charset=utf-8")
