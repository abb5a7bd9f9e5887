"""triage_run: files_done and bytes_done, so a run started from the web shows how far it got

A run is worked on by its own process (the CLI, or a worker the web application starts); its row is how
others see its progress. ``batches_done`` counted checkpoints only; these count files and bytes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("triage_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("files_done", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("bytes_done", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("triage_run", schema=None) as batch_op:
        batch_op.drop_column("bytes_done")
        batch_op.drop_column("files_done")
