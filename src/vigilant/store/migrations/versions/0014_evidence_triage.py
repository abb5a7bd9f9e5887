"""Triage runs keep their coverage: the volumes looked at and what of the evidence could not be read

A volume (partition, or a whole image) with no file system The Sleuth Kit can read yields no file at all;
a run recorded nothing of it and looked like an empty success. ``triage_run.coverage`` (JSON, nullable:
runs before it have none) holds ``{"volumes": M, "parts": [{"where", "reason", "volume"}]}``.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("triage_run") as batch_op:
        batch_op.add_column(sa.Column("coverage", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("triage_run") as batch_op:
        batch_op.drop_column("coverage")
