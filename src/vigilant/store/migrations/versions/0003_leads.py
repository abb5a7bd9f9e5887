"""leads: leads, their IPs and events, deconfliction claims

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=True),
        sa.Column("routed_to", sa.String(length=200), nullable=True),
        sa.Column("routing", sa.JSON(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observation_count", sa.BigInteger(), nullable=False),
        sa.Column("known_files", sa.Integer(), nullable=False),
        sa.Column("max_severity", sa.SmallInteger(), nullable=False),
        sa.Column("max_category", sa.Text(), nullable=True),
        sa.Column("seeding", sa.Boolean(), nullable=False),
        sa.Column("days_seen", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("actionable", sa.Boolean(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("identities", sa.JSON(), nullable=False),
        sa.Column("geo_databases", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead")),
        sa.UniqueConstraint("key", name="uq_lead_key"),
    )
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_status"), ["status"], unique=False)

    op.create_table(
        "deconfliction_claim",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["lead.id"], name=op.f("fk_deconfliction_claim_lead_id_lead"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deconfliction_claim")),
        sa.UniqueConstraint("agency", "key", name="uq_deconfliction_claim_agency_key"),
    )
    with op.batch_alter_table("deconfliction_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deconfliction_claim_key"), ["key"], unique=False)

    op.create_table(
        "lead_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=40), nullable=True),
        sa.Column("to_status", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["lead.id"], name=op.f("fk_lead_event_lead_id_lead"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_event")),
    )
    with op.batch_alter_table("lead_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_event_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "lead_ip",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observation_count", sa.BigInteger(), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("geo", sa.JSON(), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["lead.id"], name=op.f("fk_lead_ip_lead_id_lead"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_ip")),
        sa.UniqueConstraint("lead_id", "ip", name="uq_lead_ip_lead_id_ip"),
    )
    with op.batch_alter_table("lead_ip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_ip_ip"), ["ip"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lead_ip", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_ip_ip"))

    op.drop_table("lead_ip")
    with op.batch_alter_table("lead_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_event_lead_id"))

    op.drop_table("lead_event")
    with op.batch_alter_table("deconfliction_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deconfliction_claim_key"))

    op.drop_table("deconfliction_claim")
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_status"))

    op.drop_table("lead")
