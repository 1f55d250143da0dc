"""Upload → review → submit → a second curator approves → live: the steps a report takes into
the dataset from the browser, each recorded in the audit trail.

Every step checks who may take it (the role, and that an approver is not the submitter
unless the office allows one-person approval) and where the draft stands, so the web layer
cannot skip one by accident. Approval is one add through the store: all of the report or
nothing, under the store's lock, with the approver as the change's actor; the dataset's
running servers show it within seconds (live data).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from metrics.curate.accounts import Account
from metrics.curate.drafts import (
    Draft,
    DraftError,
    RowProblems,
    kept,
    new_draft,
    now,
    problems_by_row,
    report_of,
    with_original,
)
from metrics.curate.formats import Upload
from metrics.curate.workspace import SELF_APPROVAL, Workspace
from metrics.dataset import Dataset
from metrics.errors import MetricsError
from metrics.store import AddResult, NewReport, Store


class NotAllowed(MetricsError):
    """The account may not take this step (its role, or it submitted what it would approve)."""


@dataclass(frozen=True)
class Curation:
    """A deployment's store and workspace, and the dataset version being served."""

    store: Store
    workspace: Workspace

    def check(self, draft: Draft, dataset: Dataset) -> RowProblems:
        """What the store would say of the draft's figures now, by grid row and field."""
        checked = self.store.check(self._report(draft, dataset))
        return problems_by_row(draft, checked.problems, checked.first_rows)

    def _report(self, draft: Draft, dataset: Dataset) -> NewReport:
        """The change approving the draft makes, the file as received included."""
        original = self.workspace.original(draft.id) if draft.original_path else b""
        return with_original(report_of(draft, dataset), draft, original)

    def upload(
        self,
        account: Account,
        upload: Upload,
        dataset: Dataset,
        *,
        filename: str,
        source_id: str = "",
        title_zh: str = "",
    ) -> Draft:
        _require(account, "curator", "upload a report")
        draft = new_draft(
            upload, dataset, account.name, filename=filename, source_id=source_id, title_zh=title_zh
        )
        saved = self.workspace.save_draft(draft, original=upload.original)
        self.workspace.record(
            account.name, "upload", draft_id=saved.id, source_id=saved.source_id, note=filename
        )
        return saved

    def save(self, account: Account, draft: Draft) -> Draft:
        _require(account, "curator", "edit a report")
        if draft.status != "draft":
            raise DraftError(f"this report is {draft.status}: it can no longer be edited")
        return self.workspace.save_draft(draft)

    def submit(self, account: Account, draft: Draft, dataset: Dataset) -> Draft:
        _require(account, "curator", "submit a report")
        if draft.status != "draft":
            raise DraftError(f"this report is already {draft.status}")
        if not kept(draft):
            raise DraftError("keep at least one figure before submitting")
        problems = self.check(draft, dataset)
        if problems.count:
            raise DraftError(f"{problems.count} problems are left: fix them before submitting")
        saved = self.workspace.save_draft(
            replace(draft, status="submitted", submitted_by=account.name, submitted_at=now())
        )
        self._record(account, "submit", saved)
        return saved

    def send_back(self, account: Account, draft: Draft, comment: str) -> Draft:
        _require(account, "curator", "send a report back")
        if draft.status != "submitted":
            raise DraftError("only a submitted report can be sent back")
        if not comment.strip():
            raise DraftError("say what should change (a comment) when sending a report back")
        saved = self.workspace.save_draft(
            replace(
                draft,
                status="draft",
                reviewed_by=account.name,
                reviewed_at=now(),
                comment=comment.strip(),
            )
        )
        self._record(account, "return", saved, note=comment.strip())
        return saved

    def may_approve(self, account: Account, draft: Draft) -> bool:
        alone = self.workspace.setting(SELF_APPROVAL) == "on"
        return (
            account.can("curator")
            and draft.status == "submitted"
            and (account.name != draft.submitted_by or alone)
        )

    def approve(self, account: Account, draft: Draft, dataset: Dataset) -> AddResult:
        """Merge the draft into the dataset, all or nothing, and mark it approved."""
        _require(account, "curator", "approve a report")
        if draft.status != "submitted":
            raise DraftError(
                f"only a submitted report can be approved (this one is {draft.status})"
            )
        if not self.may_approve(account, draft):
            raise NotAllowed(
                "a report is approved by another curator than the one who submitted it "
                "(an admin may allow one-person approval)"
            )
        result = self.store.add(self._report(draft, dataset), actor=account.name)
        saved = self.workspace.save_draft(
            replace(
                draft,
                status="approved",
                reviewed_by=account.name,
                reviewed_at=now(),
                version=result.version or draft.version,
            )
        )
        self._record(account, "approve", saved, note=f"version {result.version}")
        return result

    def withdraw(self, account: Account, source_id: str, reason: str) -> None:
        _require(account, "curator", "withdraw a report")
        result = self.store.withdraw(source_id, reason, actor=account.name)
        self.workspace.record(
            account.name,
            "withdraw",
            source_id=source_id,
            figure_ids=result.figures,
            note=reason.strip(),
        )

    def _record(self, account: Account, action: str, draft: Draft, note: str = "") -> None:
        self.workspace.record(
            account.name,
            action,
            draft_id=draft.id,
            source_id=draft.source_id,
            figure_ids=[r["figure_id"] for r in kept(draft)],
            note=note,
        )


def _require(account: Account, role: str, what: str) -> None:
    if not account.can(role):
        raise NotAllowed(f"{account.name} ({account.role}) may not {what}")
