"""hash_set.profile_definition and known_file.category_label: custom profiles and publishers' labels

A list with a category scheme of its own is imported with a custom profile (``--profile-file``); its
definition (name, title, each code's label and profile-independent class) is stored with the set, so that
every later read interprets the set's codes through it. Each entry also keeps the publisher's own label for
its category (a label column of the source, or the source's code where ``--map-category`` mapped it onto
another), shown beside the profile's code (issue 11, A5). Both are empty for sets imported before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hash_set", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_definition", sa.JSON(), nullable=True))
    with op.batch_alter_table("known_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category_label", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("known_file", schema=None) as batch_op:
        batch_op.drop_column("category_label")
    with op.batch_alter_table("hash_set", schema=None) as batch_op:
        batch_op.drop_column("profile_definition")
