"""cases security: release flag clearances

``release_flag_clearance``: a reviewer's decision, with a reason, that naming an accused flagged in an
operation's release will not identify the victim the flag points at; without one the accused is withheld.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "release_flag_clearance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("accused_person_id", sa.Integer(), nullable=False),
        sa.Column("victim_person_id", sa.Integer(), nullable=False),
        sa.Column("shared", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cleared_by", sa.String(length=200), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operation.id"],
            name=op.f("fk_release_flag_clearance_operation_id_operation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["accused_person_id"],
            ["person.id"],
            name=op.f("fk_release_flag_clearance_accused_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["victim_person_id"],
            ["person.id"],
            name=op.f("fk_release_flag_clearance_victim_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_flag_clearance")),
        sa.UniqueConstraint(
            "operation_id", "accused_person_id", "victim_person_id", name="uq_release_flag_clearance_flag"
        ),
    )
    with op.batch_alter_table("release_flag_clearance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_release_flag_clearance_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_release_flag_clearance_accused_person_id"), ["accused_person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("release_flag_clearance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_flag_clearance_accused_person_id"))
        batch_op.drop_index(batch_op.f("ix_release_flag_clearance_operation_id"))
    op.drop_table("release_flag_clearance")
