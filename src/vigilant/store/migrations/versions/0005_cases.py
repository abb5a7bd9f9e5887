"""cases: agencies, sharing groups, operations, cases, persons, identifiers, legal process, seizures, charges

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=40), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("municipalities", sa.JSON(), nullable=False),
        sa.Column("is_coordinator", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency")),
        sa.UniqueConstraint("name", name="uq_agency_name"),
        sa.UniqueConstraint("short_name", name="uq_agency_short_name"),
    )
    op.create_table(
        "identifier",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identifier")),
        sa.UniqueConstraint("kind", "value", name="uq_identifier_kind_value"),
    )
    op.create_table(
        "sharing_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_group")),
        sa.UniqueConstraint("name", name="uq_sharing_group_name"),
    )
    op.create_table(
        "operation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("coordinating_agency_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["coordinating_agency_id"], ["agency.id"], name=op.f("fk_operation_coordinating_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation")),
        sa.UniqueConstraint("code", name="uq_operation_code"),
    )
    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operation_coordinating_agency_id"), ["coordinating_agency_id"], unique=False
        )

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("given_names", sa.String(length=200), nullable=False),
        sa.Column("surname", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=40), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("municipality", sa.String(length=200), nullable=True),
        sa.Column("depicted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_person_agency_id_agency")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_surname"), ["surname"], unique=False)

    op.create_table(
        "sharing_group_agency",
        sa.Column("sharing_group_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_sharing_group_agency_agency_id_agency"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sharing_group_id"],
            ["sharing_group.id"],
            name=op.f("fk_sharing_group_agency_sharing_group_id_sharing_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sharing_group_id", "agency_id", name=op.f("pk_sharing_group_agency")),
    )
    op.create_table(
        "case_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=True),
        sa.Column("distribution", sa.String(length=20), nullable=False),
        sa.Column("sharing_group_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"], name=op.f("fk_case_file_agency_id_agency")),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operation.id"],
            name=op.f("fk_case_file_operation_id_operation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sharing_group_id"],
            ["sharing_group.id"],
            name=op.f("fk_case_file_sharing_group_id_sharing_group"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_file")),
        sa.UniqueConstraint("agency_id", "number", name="uq_case_file_agency_id_number"),
    )
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_file_agency_id"), ["agency_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_file_operation_id"), ["operation_id"], unique=False)

    op.create_table(
        "operation_agency",
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_operation_agency_agency_id_agency"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operation.id"],
            name=op.f("fk_operation_agency_operation_id_operation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("operation_id", "agency_id", name=op.f("pk_operation_agency")),
    )
    op.create_table(
        "arrest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("arrested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrested_where", sa.Text(), nullable=True),
        sa.Column("arrested_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_arrest_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_arrest_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrest")),
    )
    with op.batch_alter_table("arrest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_arrest_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_arrest_person_id"), ["person_id"], unique=False)

    op.create_table(
        "case_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_case_person_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_case_person_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_person")),
        sa.UniqueConstraint("case_id", "person_id", "role", name="uq_case_person_case_id_person_id_role"),
    )
    with op.batch_alter_table("case_person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_person_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_person_person_id"), ["person_id"], unique=False)

    op.create_table(
        "charge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("offence_code", sa.String(length=40), nullable=False),
        sa.Column("offence_from", sa.Date(), nullable=False),
        sa.Column("offence_to", sa.Date(), nullable=True),
        sa.Column("laid_on", sa.Date(), nullable=False),
        sa.Column("laid_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_charge_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_charge_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge")),
    )
    with op.batch_alter_table("charge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_charge_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_charge_person_id"), ["person_id"], unique=False)

    op.create_table(
        "legal_process",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_court", sa.String(length=200), nullable=True),
        sa.Column("issued_by_judge", sa.String(length=200), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("executed_where", sa.Text(), nullable=True),
        sa.Column("executed_by", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_legal_process_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_process")),
    )
    with op.batch_alter_table("legal_process", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_process_case_id"), ["case_id"], unique=False)

    op.create_table(
        "publication_ban",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("authority", sa.String(length=100), nullable=False),
        sa.Column("court", sa.String(length=200), nullable=True),
        sa.Column("court_file", sa.String(length=100), nullable=True),
        sa.Column("ordered_on", sa.Date(), nullable=True),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_publication_ban_case_id_case_file"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_publication_ban_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_ban")),
    )
    with op.batch_alter_table("publication_ban", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_publication_ban_person_id"), ["person_id"], unique=False)

    op.create_table(
        "victim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("identified_on", sa.Date(), nullable=True),
        sa.Column("safeguarded_on", sa.Date(), nullable=True),
        sa.Column("referred_on", sa.Date(), nullable=True),
        sa.Column("referred_to", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_victim_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_victim_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim")),
        sa.UniqueConstraint("case_id", "person_id", name="uq_victim_case_id_person_id"),
    )
    with op.batch_alter_table("victim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_victim_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_victim_person_id"), ["person_id"], unique=False)

    op.create_table(
        "seizure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("legal_process_id", sa.Integer(), nullable=True),
        sa.Column("seized_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seized_where", sa.Text(), nullable=False),
        sa.Column("seized_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_file.id"], name=op.f("fk_seizure_case_id_case_file"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["legal_process_id"],
            ["legal_process.id"],
            name=op.f("fk_seizure_legal_process_id_legal_process"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seizure")),
    )
    with op.batch_alter_table("seizure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seizure_case_id"), ["case_id"], unique=False)

    op.create_table(
        "seized_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seizure_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("make", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("serial", sa.String(length=200), nullable=True),
        sa.Column("exhibit", sa.String(length=100), nullable=True),
        sa.Column("evidence_item_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evidence_item_id"],
            ["evidence_item.id"],
            name=op.f("fk_seized_device_evidence_item_id_evidence_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["seizure_id"],
            ["seizure.id"],
            name=op.f("fk_seized_device_seizure_id_seizure"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seized_device")),
    )
    with op.batch_alter_table("seized_device", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seized_device_evidence_item_id"), ["evidence_item_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_seized_device_seizure_id"), ["seizure_id"], unique=False)

    op.create_table(
        "identifier_link",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("identifier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("raw", sa.String(length=300), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_identifier_link_case_id_case_file"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["seized_device.id"],
            name=op.f("fk_identifier_link_device_id_seized_device"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["identifier_id"],
            ["identifier.id"],
            name=op.f("fk_identifier_link_identifier_id_identifier"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_identifier_link_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identifier_link")),
    )
    with op.batch_alter_table("identifier_link", schema=None) as batch_op:
        batch_op.create_index(
            "ix_identifier_link_case_id_observed_at", ["case_id", "observed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_identifier_link_identifier_id"), ["identifier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_identifier_link_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("identifier_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identifier_link_person_id"))
        batch_op.drop_index(batch_op.f("ix_identifier_link_identifier_id"))
        batch_op.drop_index("ix_identifier_link_case_id_observed_at")

    op.drop_table("identifier_link")
    with op.batch_alter_table("seized_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seized_device_seizure_id"))
        batch_op.drop_index(batch_op.f("ix_seized_device_evidence_item_id"))

    op.drop_table("seized_device")
    with op.batch_alter_table("seizure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seizure_case_id"))

    op.drop_table("seizure")
    with op.batch_alter_table("victim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_victim_person_id"))
        batch_op.drop_index(batch_op.f("ix_victim_case_id"))

    op.drop_table("victim")
    with op.batch_alter_table("publication_ban", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_publication_ban_person_id"))

    op.drop_table("publication_ban")
    with op.batch_alter_table("legal_process", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_process_case_id"))

    op.drop_table("legal_process")
    with op.batch_alter_table("charge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_charge_person_id"))
        batch_op.drop_index(batch_op.f("ix_charge_case_id"))

    op.drop_table("charge")
    with op.batch_alter_table("case_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_person_person_id"))
        batch_op.drop_index(batch_op.f("ix_case_person_case_id"))

    op.drop_table("case_person")
    with op.batch_alter_table("arrest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrest_person_id"))
        batch_op.drop_index(batch_op.f("ix_arrest_case_id"))

    op.drop_table("arrest")
    op.drop_table("operation_agency")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_file_operation_id"))
        batch_op.drop_index(batch_op.f("ix_case_file_agency_id"))

    op.drop_table("case_file")
    op.drop_table("sharing_group_agency")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_surname"))
        batch_op.drop_index(batch_op.f("ix_person_agency_id"))

    op.drop_table("person")
    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_coordinating_agency_id"))

    op.drop_table("operation")
    op.drop_table("sharing_group")
    op.drop_table("identifier")
    op.drop_table("agency")
