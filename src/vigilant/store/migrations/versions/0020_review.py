"""examiner review: queue items, stacks, decisions, sealed media, reveals, exposure and limits (issue 14)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "review_exposure",
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("revealed", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("streak_seconds", sa.Integer(), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_review_exposure_agency_id_agency"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("username", "day", name=op.f("pk_review_exposure")),
    )
    op.create_index(op.f("ix_review_exposure_agency_id"), "review_exposure", ["agency_id"], unique=False)
    op.create_table(
        "review_limits",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("reveals_per_day", sa.Integer(), nullable=False),
        sa.Column("minutes_per_day", sa.Integer(), nullable=False),
        sa.Column("reveal_seconds", sa.Integer(), nullable=False),
        sa.Column("break_every_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_review_limits_agency_id_agency"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_review_limits")),
    )
    op.create_table(
        "review_batch",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("folder_hits", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["triage_run.id"], name=op.f("fk_review_batch_run_id_triage_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "name", name=op.f("pk_review_batch")),
    )
    op.create_table(
        "review_item",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("member", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("folder", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.LargeBinary(), nullable=True),
        sa.Column("sha1", sa.LargeBinary(), nullable=True),
        sa.Column("sha256", sa.LargeBinary(), nullable=True),
        sa.Column("pdq", sa.LargeBinary(), nullable=True),
        sa.Column("pdq_quality", sa.SmallInteger(), nullable=True),
        sa.Column("pdq_method", sa.String(length=10), nullable=True),
        sa.Column("dihedral", sa.LargeBinary(), nullable=True),
        sa.Column("exif_make", sa.String(length=200), nullable=True),
        sa.Column("exif_model", sa.String(length=200), nullable=True),
        sa.Column("exif_serial", sa.String(length=200), nullable=True),
        sa.Column("gps_latitude", sa.Double(), nullable=True),
        sa.Column("gps_longitude", sa.Double(), nullable=True),
        sa.Column("near_distance", sa.SmallInteger(), nullable=True),
        sa.Column("near_series", sa.String(length=200), nullable=True),
        sa.Column("near_set", sa.String(length=300), nullable=True),
        sa.Column("seized_device", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("base_priority", sa.Integer(), nullable=False),
        sa.Column("folder_hits", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("stack_id", BIG_ID, nullable=True),
        sa.Column("stack_head", sa.Boolean(), nullable=False),
        sa.Column("media_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence_item.id"],
            name=op.f("fk_review_item_evidence_id_evidence_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["triage_run.id"], name=op.f("fk_review_item_run_id_triage_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_item")),
        sa.UniqueConstraint("run_id", "position", "member", name="uq_review_item_run_id_position_member"),
    )
    op.create_index(op.f("ix_review_item_evidence_id"), "review_item", ["evidence_id"], unique=False)
    op.create_index(op.f("ix_review_item_run_id"), "review_item", ["run_id"], unique=False)
    op.create_index("ix_review_item_run_priority", "review_item", ["run_id", "priority"], unique=False)
    op.create_index(
        "ix_review_item_run_head_priority", "review_item", ["run_id", "stack_head", "priority"], unique=False
    )
    op.create_index(op.f("ix_review_item_stack_id"), "review_item", ["stack_id"], unique=False)
    op.create_table(
        "review_decision",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("item_id", BIG_ID, nullable=False),
        sa.Column("batch", sa.String(length=40), nullable=False),
        sa.Column("examiner", sa.String(length=200), nullable=False),
        sa.Column("examiner_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("profile", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("series", sa.String(length=200), nullable=True),
        sa.Column("new_series", sa.Boolean(), nullable=False),
        sa.Column("victims", sa.JSON(), nullable=False),
        sa.Column("identified", sa.Boolean(), nullable=False),
        sa.Column("offender_visible", sa.Boolean(), nullable=False),
        sa.Column("sexual_assault", sa.Boolean(), nullable=False),
        sa.Column("self_generated", sa.Boolean(), nullable=False),
        sa.Column("suspected_ai", sa.Boolean(), nullable=False),
        sa.Column("possible_production", sa.Boolean(), nullable=False),
        sa.Column("location_notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["review_item.id"],
            name=op.f("fk_review_decision_item_id_review_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decision")),
    )
    op.create_index(op.f("ix_review_decision_batch"), "review_decision", ["batch"], unique=False)
    op.create_index(op.f("ix_review_decision_item_id"), "review_decision", ["item_id"], unique=False)
    op.create_table(
        "review_media",
        sa.Column("item_id", BIG_ID, nullable=False),
        sa.Column("variant", sa.String(length=10), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["review_item.id"],
            name=op.f("fk_review_media_item_id_review_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "variant", "frame", name=op.f("pk_review_media")),
    )
    op.create_table(
        "review_reveal",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("item_id", BIG_ID, nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["review_item.id"],
            name=op.f("fk_review_reveal_item_id_review_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_reveal")),
    )
    op.create_index(op.f("ix_review_reveal_item_id"), "review_reveal", ["item_id"], unique=False)
    op.create_index(op.f("ix_review_reveal_username"), "review_reveal", ["username"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_review_reveal_username"), table_name="review_reveal")
    op.drop_index(op.f("ix_review_reveal_item_id"), table_name="review_reveal")
    op.drop_table("review_reveal")
    op.drop_table("review_media")
    op.drop_index(op.f("ix_review_decision_item_id"), table_name="review_decision")
    op.drop_index(op.f("ix_review_decision_batch"), table_name="review_decision")
    op.drop_table("review_decision")
    op.drop_index(op.f("ix_review_item_stack_id"), table_name="review_item")
    op.drop_index("ix_review_item_run_head_priority", table_name="review_item")
    op.drop_index("ix_review_item_run_priority", table_name="review_item")
    op.drop_index(op.f("ix_review_item_run_id"), table_name="review_item")
    op.drop_index(op.f("ix_review_item_evidence_id"), table_name="review_item")
    op.drop_table("review_item")
    op.drop_table("review_batch")
    op.drop_table("review_limits")
    op.drop_index(op.f("ix_review_exposure_agency_id"), table_name="review_exposure")
    op.drop_table("review_exposure")
