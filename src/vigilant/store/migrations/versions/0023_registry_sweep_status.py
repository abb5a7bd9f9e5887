"""registry: each registrant's status as of the last sweep (registrant_status), for due list and dashboard

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registrant_status",
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("rules", sa.String(length=20), nullable=False),
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("rule", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("order_ends_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registrant_status_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sweep_id"],
            ["registry_sweep.id"],
            name=op.f("fk_registrant_status_sweep_id_registry_sweep"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("registrant_id", "rules", name=op.f("pk_registrant_status")),
    )
    with op.batch_alter_table("registrant_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registrant_status_sweep_id"), ["sweep_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("registrant_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrant_status_sweep_id"))
    op.drop_table("registrant_status")
