"""hash_set: pdq_method, how the set's PDQ hashes were made ("full" picture or "512" px)

A list's PDQ hashes compare only with hashes made the same way: python-threatexchange and Meta's HMA hash the
whole decoded picture, Meta's C++ tool first brings the longest side to 512 px, and the two land up to ~20
bits apart on natural photos. Sets imported before this revision are taken as ``full``, what an import now
assumes when it is not told (issue 11, A3).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hash_set", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pdq_method", sa.String(length=8), nullable=False, server_default="full")
        )


def downgrade() -> None:
    with op.batch_alter_table("hash_set", schema=None) as batch_op:
        batch_op.drop_column("pdq_method")
