"""The curators' workspace: accounts, settings, failed sign-ins, drafts, the audit trail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Not part of the data package: these tables are never imported, dumped or published
(metrics/curate/workspace.py). Accounts hold argon2 hashes, never passwords.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="accounts_pkey"),
        sa.CheckConstraint("role IN ('viewer', 'curator', 'admin')", name="accounts_role_enum"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="settings_pkey"),
    )
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("sign_in_failures_key_at_idx", "sign_in_failures", ["key", "at"])
    op.create_table(
        "drafts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),  # the draft as JSON
        sa.Column("original", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="drafts_pkey"),
    )
    op.create_table(
        "audit",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("at", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("draft_id", sa.Text(), nullable=False, server_default=""),
        sa.Column("source_id", sa.Text(), nullable=False, server_default=""),
        sa.Column("figure_ids", sa.Text(), nullable=False, server_default=""),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("seq", name="audit_pkey"),
    )


def downgrade() -> None:
    for table in ("audit", "drafts", "sign_in_failures", "settings", "accounts"):
        op.drop_table(table)
