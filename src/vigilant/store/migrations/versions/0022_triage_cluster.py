"""Triage runs on Dask: where a run works, its batch count, per-worker progress, pause and cancel requests

``triage_run.scheduler``: the Dask scheduler the last execution used (``local`` for this machine's runner);
``batches_total``: the run's batch count, once known; ``workers`` (JSON): per worker, the batches it wrote
(``"0-3,7"``), their count, files and bytes; ``control``: ``pause`` or ``cancel``, asked of the process
working on the run and cleared when it stops (the run's status is then ``paused`` or ``cancelled``).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("triage_run") as batch_op:
        batch_op.add_column(sa.Column("scheduler", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("batches_total", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("workers", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("control", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("triage_run") as batch_op:
        batch_op.drop_column("control")
        batch_op.drop_column("workers")
        batch_op.drop_column("batches_total")
        batch_op.drop_column("scheduler")
