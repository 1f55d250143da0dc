"""The data package's tables, with its keys, references and checks; report texts; metadata.

Revision ID: 0001
Revises:
Create Date: 2026-12-02

Each table of datapackage.json (package version 0.2.0: those of 0.1.0 and the change log) is a
table here with the same columns: text as text, numbers as numeric (so a value reads back
exactly as it was written), integers as bigint, dates as date, the change log's times as
timestamptz. Every
constraint of the descriptor is a constraint here: primary keys, unique fields, required
fields (NOT NULL, and non-empty for text), enums, patterns, minimum and maximum, and foreign
keys — deferred to the end of a transaction, because reports and events refer to each other.
A missing optional value is NULL.

``seq`` numbers rows in the order they were stored, so a table reads back in its file's order
(a dump gives the same files, row for row). ``reports`` keeps the files of the package's
``sources/`` folder by path — each report's text, and the file it came as when that was not
plain text — byte for byte (the checks compare them with their recorded SHA-256);
``package`` keeps the descriptor itself (title, license, sources list) for dumps.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("original_path", sa.Text(), nullable=True),
        sa.Column("original_sha256", sa.Text(), nullable=True),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("title_origin", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("event_date_inferred", sa.Boolean(), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("notes_zh", sa.Text(), nullable=True),
        sa.Column("notes_en", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source_id", name="sources_pkey"),
        sa.UniqueConstraint("path", name="sources_path_key"),
        sa.UniqueConstraint("original_path", name="sources_original_path_key"),
        sa.CheckConstraint("\"source_id\" <> ''", name="sources_source_id_not_empty"),
        sa.CheckConstraint("\"source_id\" ~ '^[0-9A-Za-z_]+$'", name="sources_source_id_pattern"),
        sa.CheckConstraint("\"path\" <> ''", name="sources_path_not_empty"),
        sa.CheckConstraint(
            "\"path\" ~ '^sources/[0-9A-Za-z_]+\\.txt$'", name="sources_path_pattern"
        ),
        sa.CheckConstraint("\"sha256\" <> ''", name="sources_sha256_not_empty"),
        sa.CheckConstraint("\"sha256\" ~ '^[0-9a-f]{64}$'", name="sources_sha256_pattern"),
        sa.CheckConstraint(
            "\"original_path\" ~ '^sources/originals/[0-9A-Za-z_]+\\.(txt|docx|pdf|html)$'",
            name="sources_original_path_pattern",
        ),
        sa.CheckConstraint(
            "\"original_sha256\" ~ '^[0-9a-f]{64}$'", name="sources_original_sha256_pattern"
        ),
        sa.CheckConstraint("\"title_zh\" <> ''", name="sources_title_zh_not_empty"),
        sa.CheckConstraint("\"title_en\" <> ''", name="sources_title_en_not_empty"),
        sa.CheckConstraint("\"title_origin\" <> ''", name="sources_title_origin_not_empty"),
        sa.CheckConstraint(
            "\"title_origin\" IN ('stated', 'caption', 'first_line', 'curator')",
            name="sources_title_origin_enum",
        ),
        sa.CheckConstraint("\"city\" <> ''", name="sources_city_not_empty"),
    )

    op.create_table(
        "cities",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("province", sa.Text(), nullable=False),
        sa.Column("province_en", sa.Text(), nullable=False),
        sa.Column("adcode", sa.BigInteger(), nullable=False),
        sa.Column("province_adcode", sa.BigInteger(), nullable=False),
        sa.Column("latitude", sa.Numeric(), nullable=False),
        sa.Column("longitude", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint("city", name="cities_pkey"),
        sa.UniqueConstraint("name_en", name="cities_name_en_key"),
        sa.UniqueConstraint("adcode", name="cities_adcode_key"),
        sa.CheckConstraint("\"city\" <> ''", name="cities_city_not_empty"),
        sa.CheckConstraint("\"name_en\" <> ''", name="cities_name_en_not_empty"),
        sa.CheckConstraint("\"province\" <> ''", name="cities_province_not_empty"),
        sa.CheckConstraint("\"province_en\" <> ''", name="cities_province_en_not_empty"),
        sa.CheckConstraint('"adcode" >= 100000', name="cities_adcode_minimum"),
        sa.CheckConstraint('"adcode" <= 999999', name="cities_adcode_maximum"),
        sa.CheckConstraint('"province_adcode" >= 100000', name="cities_province_adcode_minimum"),
        sa.CheckConstraint('"province_adcode" <= 999999', name="cities_province_adcode_maximum"),
        sa.CheckConstraint('"latitude" >= 3', name="cities_latitude_minimum"),
        sa.CheckConstraint('"latitude" <= 54', name="cities_latitude_maximum"),
        sa.CheckConstraint('"longitude" >= 73', name="cities_longitude_minimum"),
        sa.CheckConstraint('"longitude" <= 136', name="cities_longitude_maximum"),
    )

    op.create_table(
        "industries",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("industry", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("industry", name="industries_pkey"),
        sa.UniqueConstraint("name_en", name="industries_name_en_key"),
        sa.CheckConstraint("\"industry\" <> ''", name="industries_industry_not_empty"),
        sa.CheckConstraint("\"name_en\" <> ''", name="industries_name_en_not_empty"),
    )

    op.create_table(
        "units",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("symbol_zh", sa.Text(), nullable=False),
        sa.Column("symbol_en", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("unit", name="units_pkey"),
        sa.CheckConstraint("\"unit\" <> ''", name="units_unit_not_empty"),
        sa.CheckConstraint("\"kind\" <> ''", name="units_kind_not_empty"),
        sa.CheckConstraint("\"kind\" IN ('currency', 'count', 'percent')", name="units_kind_enum"),
        sa.CheckConstraint("\"name_zh\" <> ''", name="units_name_zh_not_empty"),
        sa.CheckConstraint("\"name_en\" <> ''", name="units_name_en_not_empty"),
        sa.CheckConstraint("\"symbol_zh\" <> ''", name="units_symbol_zh_not_empty"),
        sa.CheckConstraint("\"symbol_en\" <> ''", name="units_symbol_en_not_empty"),
    )

    op.create_table(
        "metrics",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("additive", sa.Boolean(), nullable=False),
        sa.Column("is_target", sa.Boolean(), nullable=False),
        sa.Column("target_of", sa.Text(), nullable=True),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("metric", name="metrics_pkey"),
        sa.CheckConstraint("\"metric\" <> ''", name="metrics_metric_not_empty"),
        sa.CheckConstraint("\"metric\" ~ '^[a-z][a-z0-9_]*$'", name="metrics_metric_pattern"),
        sa.CheckConstraint("\"name_zh\" <> ''", name="metrics_name_zh_not_empty"),
        sa.CheckConstraint("\"name_en\" <> ''", name="metrics_name_en_not_empty"),
        sa.CheckConstraint("\"unit\" <> ''", name="metrics_unit_not_empty"),
        sa.CheckConstraint("\"description_zh\" <> ''", name="metrics_description_zh_not_empty"),
        sa.CheckConstraint("\"description_en\" <> ''", name="metrics_description_en_not_empty"),
    )

    op.create_table(
        "inferences",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("inference_id", sa.Text(), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("inference_id", name="inferences_pkey"),
        sa.CheckConstraint("\"inference_id\" <> ''", name="inferences_inference_id_not_empty"),
        sa.CheckConstraint(
            "\"inference_id\" ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="inferences_inference_id_pattern"
        ),
        sa.CheckConstraint("\"reason_zh\" <> ''", name="inferences_reason_zh_not_empty"),
        sa.CheckConstraint("\"reason_en\" <> ''", name="inferences_reason_en_not_empty"),
    )

    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("parent_event_id", sa.Text(), nullable=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("precision", sa.Text(), nullable=False),
        sa.Column("date_inferred", sa.Boolean(), nullable=False),
        sa.Column("date_inference", sa.Text(), nullable=True),
        sa.Column("organizers_zh", sa.Text(), nullable=True),
        sa.Column("organizers_en", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("notes_zh", sa.Text(), nullable=True),
        sa.Column("notes_en", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name="events_pkey"),
        sa.CheckConstraint("\"event_id\" <> ''", name="events_event_id_not_empty"),
        sa.CheckConstraint(
            "\"event_id\" ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="events_event_id_pattern"
        ),
        sa.CheckConstraint("\"name_zh\" <> ''", name="events_name_zh_not_empty"),
        sa.CheckConstraint("\"name_en\" <> ''", name="events_name_en_not_empty"),
        sa.CheckConstraint("\"kind\" <> ''", name="events_kind_not_empty"),
        sa.CheckConstraint(
            "\"kind\" IN ('partnership', 'campaign', 'festival', 'conference', 'signing', "
            "'award_ceremony', 'plan')",
            name="events_kind_enum",
        ),
        sa.CheckConstraint("\"city\" <> ''", name="events_city_not_empty"),
        sa.CheckConstraint("\"precision\" <> ''", name="events_precision_not_empty"),
        sa.CheckConstraint(
            "\"precision\" IN ('day', 'month', 'year', 'plan_period')", name="events_precision_enum"
        ),
        sa.CheckConstraint("\"source_id\" <> ''", name="events_source_id_not_empty"),
        sa.CheckConstraint("\"quote\" <> ''", name="events_quote_not_empty"),
    )

    op.create_table(
        "figures",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("figure_id", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("qualifier", sa.Text(), nullable=False),
        sa.Column("derivation", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=True),
        sa.Column("label_zh", sa.Text(), nullable=False),
        sa.Column("label_en", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("period_precision", sa.Text(), nullable=False),
        sa.Column("date_inferred", sa.Boolean(), nullable=False),
        sa.Column("date_inference", sa.Text(), nullable=True),
        sa.Column("notes_zh", sa.Text(), nullable=True),
        sa.Column("notes_en", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("figure_id", name="figures_pkey"),
        sa.CheckConstraint("\"figure_id\" <> ''", name="figures_figure_id_not_empty"),
        sa.CheckConstraint(
            "\"figure_id\" ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="figures_figure_id_pattern"
        ),
        sa.CheckConstraint("\"source_id\" <> ''", name="figures_source_id_not_empty"),
        sa.CheckConstraint("\"quote\" <> ''", name="figures_quote_not_empty"),
        sa.CheckConstraint("\"raw\" <> ''", name="figures_raw_not_empty"),
        sa.CheckConstraint('"value" >= 0', name="figures_value_minimum"),
        sa.CheckConstraint("\"unit\" <> ''", name="figures_unit_not_empty"),
        sa.CheckConstraint("\"qualifier\" <> ''", name="figures_qualifier_not_empty"),
        sa.CheckConstraint(
            "\"qualifier\" IN ('exact', 'at_least', 'more_than', 'approx')",
            name="figures_qualifier_enum",
        ),
        sa.CheckConstraint("\"derivation\" <> ''", name="figures_derivation_not_empty"),
        sa.CheckConstraint(
            "\"derivation\" IN ('stated', 'enumerated')", name="figures_derivation_enum"
        ),
        sa.CheckConstraint("\"metric\" <> ''", name="figures_metric_not_empty"),
        sa.CheckConstraint("\"city\" <> ''", name="figures_city_not_empty"),
        sa.CheckConstraint("\"label_zh\" <> ''", name="figures_label_zh_not_empty"),
        sa.CheckConstraint("\"label_en\" <> ''", name="figures_label_en_not_empty"),
        sa.CheckConstraint("\"period_precision\" <> ''", name="figures_period_precision_not_empty"),
        sa.CheckConstraint(
            "\"period_precision\" IN ('day', 'month', 'year', 'plan_period')",
            name="figures_period_precision_enum",
        ),
    )

    op.create_table(
        "figure_industries",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("figure_id", sa.Text(), nullable=False),
        sa.Column("industry", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("figure_id", "industry", name="figure_industries_pkey"),
        sa.CheckConstraint("\"figure_id\" <> ''", name="figure_industries_figure_id_not_empty"),
        sa.CheckConstraint("\"industry\" <> ''", name="figure_industries_industry_not_empty"),
    )

    op.create_table(
        "companies",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("notes_zh", sa.Text(), nullable=True),
        sa.Column("notes_en", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("company_id", name="companies_pkey"),
        sa.CheckConstraint("\"company_id\" <> ''", name="companies_company_id_not_empty"),
        sa.CheckConstraint(
            "\"company_id\" ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="companies_company_id_pattern"
        ),
        sa.CheckConstraint("\"name_zh\" <> ''", name="companies_name_zh_not_empty"),
        sa.CheckConstraint("\"name_en\" <> ''", name="companies_name_en_not_empty"),
    )

    op.create_table(
        "company_roles",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("company_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("award_zh", sa.Text(), nullable=True),
        sa.Column("award_en", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "event_id", "role", name="company_roles_pkey"),
        sa.CheckConstraint("\"company_id\" <> ''", name="company_roles_company_id_not_empty"),
        sa.CheckConstraint("\"event_id\" <> ''", name="company_roles_event_id_not_empty"),
        sa.CheckConstraint("\"role\" <> ''", name="company_roles_role_not_empty"),
        sa.CheckConstraint(
            "\"role\" IN ('campaign_participant', 'park_signing', 'award_winner', 'presenter')",
            name="company_roles_role_enum",
        ),
        sa.CheckConstraint("\"source_id\" <> ''", name="company_roles_source_id_not_empty"),
        sa.CheckConstraint("\"quote\" <> ''", name="company_roles_quote_not_empty"),
    )

    op.create_table(
        "platforms",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("platform_id", sa.Text(), nullable=False),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("platform_id", name="platforms_pkey"),
        sa.CheckConstraint("\"platform_id\" <> ''", name="platforms_platform_id_not_empty"),
        sa.CheckConstraint(
            "\"platform_id\" ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="platforms_platform_id_pattern"
        ),
        sa.CheckConstraint("\"name_zh\" <> ''", name="platforms_name_zh_not_empty"),
        sa.CheckConstraint("\"name_en\" <> ''", name="platforms_name_en_not_empty"),
        sa.CheckConstraint("\"kind\" <> ''", name="platforms_kind_not_empty"),
        sa.CheckConstraint("\"kind\" IN ('center', 'park', 'base')", name="platforms_kind_enum"),
        sa.CheckConstraint("\"city\" <> ''", name="platforms_city_not_empty"),
        sa.CheckConstraint("\"source_id\" <> ''", name="platforms_source_id_not_empty"),
        sa.CheckConstraint("\"quote\" <> ''", name="platforms_quote_not_empty"),
    )

    op.create_table(
        "changes",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("figure_ids", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("version", name="changes_pkey"),
        sa.CheckConstraint('"version" >= 1', name="changes_version_minimum"),
        sa.CheckConstraint("\"actor\" <> ''", name="changes_actor_not_empty"),
        sa.CheckConstraint("\"action\" <> ''", name="changes_action_not_empty"),
        sa.CheckConstraint(
            "\"action\" IN ('add', 'withdraw', 'import')", name="changes_action_enum"
        ),
    )

    op.create_foreign_key(
        "sources_city_fkey",
        "sources",
        "cities",
        ["city"],
        ["city"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "sources_event_id_fkey",
        "sources",
        "events",
        ["event_id"],
        ["event_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "metrics_unit_fkey",
        "metrics",
        "units",
        ["unit"],
        ["unit"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "metrics_target_of_fkey",
        "metrics",
        "metrics",
        ["target_of"],
        ["metric"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "events_city_fkey",
        "events",
        "cities",
        ["city"],
        ["city"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "events_parent_event_id_fkey",
        "events",
        "events",
        ["parent_event_id"],
        ["event_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "events_date_inference_fkey",
        "events",
        "inferences",
        ["date_inference"],
        ["inference_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "events_source_id_fkey",
        "events",
        "sources",
        ["source_id"],
        ["source_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "figures_source_id_fkey",
        "figures",
        "sources",
        ["source_id"],
        ["source_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "figures_unit_fkey",
        "figures",
        "units",
        ["unit"],
        ["unit"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "figures_metric_fkey",
        "figures",
        "metrics",
        ["metric"],
        ["metric"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "figures_city_fkey",
        "figures",
        "cities",
        ["city"],
        ["city"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "figures_event_id_fkey",
        "figures",
        "events",
        ["event_id"],
        ["event_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "figures_date_inference_fkey",
        "figures",
        "inferences",
        ["date_inference"],
        ["inference_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "figure_industries_figure_id_fkey",
        "figure_industries",
        "figures",
        ["figure_id"],
        ["figure_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "figure_industries_industry_fkey",
        "figure_industries",
        "industries",
        ["industry"],
        ["industry"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "company_roles_company_id_fkey",
        "company_roles",
        "companies",
        ["company_id"],
        ["company_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "company_roles_event_id_fkey",
        "company_roles",
        "events",
        ["event_id"],
        ["event_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "company_roles_source_id_fkey",
        "company_roles",
        "sources",
        ["source_id"],
        ["source_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "platforms_city_fkey",
        "platforms",
        "cities",
        ["city"],
        ["city"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "platforms_event_id_fkey",
        "platforms",
        "events",
        ["event_id"],
        ["event_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "platforms_source_id_fkey",
        "platforms",
        "sources",
        ["source_id"],
        ["source_id"],
        deferrable=True,
        initially="DEFERRED",
    )
    op.create_foreign_key(
        "changes_source_id_fkey",
        "changes",
        "sources",
        ["source_id"],
        ["source_id"],
        deferrable=True,
        initially="DEFERRED",
    )

    op.create_table(
        "reports",
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("path", name="reports_pkey"),
    )
    op.create_table(
        "package",
        sa.Column("id", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("descriptor", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="package_pkey"),
        sa.CheckConstraint("id", name="package_one_row"),
    )
    # What a change looks up in the national-scale tables: a report's figures (to withdraw
    # it) and the figures of an event (before its report may be withdrawn).
    op.create_index("figures_source_id_idx", "figures", ["source_id"])
    op.create_index("figures_event_id_idx", "figures", ["event_id"])


def downgrade() -> None:
    # The tables refer to each other (reports and events both ways): CASCADE drops them all.
    for table in (
        "package",
        "reports",
        "changes",
        "platforms",
        "company_roles",
        "companies",
        "figure_industries",
        "figures",
        "events",
        "inferences",
        "metrics",
        "units",
        "industries",
        "cities",
        "sources",
    ):
        op.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
