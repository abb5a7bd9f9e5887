"""registry: registrants (on persons), their addresses and identifiers, orders, reports, verifications, alerts

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_sweep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("rules", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("last_registrant_id", sa.Integer(), nullable=False),
        sa.Column("compliant", sa.Integer(), nullable=False),
        sa.Column("due_soon", sa.Integer(), nullable=False),
        sa.Column("non_compliant", sa.Integer(), nullable=False),
        sa.Column("order_ended", sa.Integer(), nullable=False),
        sa.Column("alerts_raised", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_sweep")),
        sa.UniqueConstraint("as_of", "rules", name="uq_registry_sweep_as_of_rules"),
    )
    op.create_table(
        "registrant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("registry_number", sa.String(length=40), nullable=False),
        sa.Column("office_agency_id", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("height_cm", sa.Integer(), nullable=True),
        sa.Column("weight_kg", sa.Integer(), nullable=True),
        sa.Column("eye_colour", sa.String(length=40), nullable=True),
        sa.Column("hair_colour", sa.String(length=40), nullable=True),
        sa.Column("marks", sa.Text(), nullable=True),
        sa.Column("first_report_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_agency_id"], ["agency.id"], name=op.f("fk_registrant_office_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_registrant_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant")),
        sa.UniqueConstraint("person_id", name="uq_registrant_person_id"),
        sa.UniqueConstraint("registry_number", name="uq_registrant_registry_number"),
    )
    with op.batch_alter_table("registrant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registrant_office_agency_id"), ["office_agency_id"], unique=False
        )

    op.create_table(
        "registrant_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("municipality", sa.String(length=200), nullable=True),
        sa.Column("province", sa.String(length=2), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("work_type", sa.String(length=200), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registrant_address_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant_address")),
    )
    with op.batch_alter_table("registrant_address", schema=None) as batch_op:
        batch_op.create_index("ix_registrant_address_kind_valid_to", ["kind", "valid_to"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_registrant_address_municipality"), ["municipality"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registrant_address_registrant_id"), ["registrant_id"], unique=False
        )

    op.create_table(
        "registrant_alias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("given_names", sa.String(length=200), nullable=False),
        sa.Column("surname", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registrant_alias_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant_alias")),
    )
    with op.batch_alter_table("registrant_alias", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registrant_alias_registrant_id"), ["registrant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_registrant_alias_surname"), ["surname"], unique=False)

    op.create_table(
        "registrant_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("issuer", sa.String(length=100), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registrant_document_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant_document")),
    )
    with op.batch_alter_table("registrant_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registrant_document_registrant_id"), ["registrant_id"], unique=False
        )

    op.create_table(
        "registrant_identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("normalised", sa.String(length=300), nullable=False),
        sa.Column("platform", sa.String(length=200), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registrant_identifier_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant_identifier")),
    )
    with op.batch_alter_table("registrant_identifier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registrant_identifier_normalised"), ["normalised"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_registrant_identifier_registrant_id"), ["registrant_id"], unique=False
        )

    op.create_table(
        "registrant_offence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=True),
        sa.Column("convicted_on", sa.Date(), nullable=False),
        sa.Column("court", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registrant_offence_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant_offence")),
    )
    with op.batch_alter_table("registrant_offence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registrant_offence_registrant_id"), ["registrant_id"], unique=False
        )

    op.create_table(
        "registrant_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("regime", sa.String(length=20), nullable=False),
        sa.Column("term", sa.String(length=10), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("terminated_on", sa.Date(), nullable=True),
        sa.Column("court", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registrant_order_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant_order")),
    )
    with op.batch_alter_table("registrant_order", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registrant_order_registrant_id"), ["registrant_id"], unique=False
        )

    op.create_table(
        "registrant_phone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registrant_phone_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant_phone")),
    )
    with op.batch_alter_table("registrant_phone", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registrant_phone_registrant_id"), ["registrant_id"], unique=False
        )

    op.create_table(
        "registrant_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registrant_report_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant_report")),
    )
    with op.batch_alter_table("registrant_report", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registrant_report_registrant_id_reported_on", ["registrant_id", "reported_on"], unique=False
        )

    op.create_table(
        "registrant_vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=20), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=True),
        sa.Column("make", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("colour", sa.String(length=40), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registrant_vehicle_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrant_vehicle")),
    )
    with op.batch_alter_table("registrant_vehicle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registrant_vehicle_plate"), ["plate"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_registrant_vehicle_registrant_id"), ["registrant_id"], unique=False
        )

    op.create_table(
        "registry_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("office_agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assigned_to", sa.String(length=200), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("outcome_notes", sa.Text(), nullable=True),
        sa.Column("warrant_reference", sa.String(length=100), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_agency_id"], ["agency.id"], name=op.f("fk_registry_alert_office_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registry_alert_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_alert")),
        sa.UniqueConstraint("registrant_id", "kind", "key", name="uq_registry_alert_registrant_id_kind_key"),
    )
    with op.batch_alter_table("registry_alert", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registry_alert_office_agency_id_status", ["office_agency_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_registry_alert_registrant_id"), ["registrant_id"], unique=False)

    op.create_table(
        "address_verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("verified_on", sa.Date(), nullable=False),
        sa.Column("officer", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["registrant_address.id"],
            name=op.f("fk_address_verification_address_id_registrant_address"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_address_verification_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_verification")),
    )
    with op.batch_alter_table("address_verification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_address_verification_registrant_id"), ["registrant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("address_verification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_address_verification_registrant_id"))

    op.drop_table("address_verification")
    with op.batch_alter_table("registry_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_alert_registrant_id"))
        batch_op.drop_index("ix_registry_alert_office_agency_id_status")

    op.drop_table("registry_alert")
    with op.batch_alter_table("registrant_vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrant_vehicle_registrant_id"))
        batch_op.drop_index(batch_op.f("ix_registrant_vehicle_plate"))

    op.drop_table("registrant_vehicle")
    with op.batch_alter_table("registrant_report", schema=None) as batch_op:
        batch_op.drop_index("ix_registrant_report_registrant_id_reported_on")

    op.drop_table("registrant_report")
    with op.batch_alter_table("registrant_phone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrant_phone_registrant_id"))

    op.drop_table("registrant_phone")
    with op.batch_alter_table("registrant_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrant_order_registrant_id"))

    op.drop_table("registrant_order")
    with op.batch_alter_table("registrant_offence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrant_offence_registrant_id"))

    op.drop_table("registrant_offence")
    with op.batch_alter_table("registrant_identifier", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrant_identifier_registrant_id"))
        batch_op.drop_index(batch_op.f("ix_registrant_identifier_normalised"))

    op.drop_table("registrant_identifier")
    with op.batch_alter_table("registrant_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrant_document_registrant_id"))

    op.drop_table("registrant_document")
    with op.batch_alter_table("registrant_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrant_alias_surname"))
        batch_op.drop_index(batch_op.f("ix_registrant_alias_registrant_id"))

    op.drop_table("registrant_alias")
    with op.batch_alter_table("registrant_address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrant_address_registrant_id"))
        batch_op.drop_index(batch_op.f("ix_registrant_address_municipality"))
        batch_op.drop_index("ix_registrant_address_kind_valid_to")

    op.drop_table("registrant_address")
    with op.batch_alter_table("registrant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrant_office_agency_id"))

    op.drop_table("registrant")
    op.drop_table("registry_sweep")
