"""known_video_frame: a known video's vPDQ hash, one row per hashed frame

A library entry may be a known video, carried by its vPDQ hash (a PDQ hash per second of video); triage
compares seized videos with it as a whole, not frame by frame against pictures.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_video_frame",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("pdq", sa.LargeBinary(length=32), nullable=False),
        sa.Column("quality", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["known_file.id"],
            name=op.f("fk_known_video_frame_entry_id_known_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_video_frame")),
    )
    with op.batch_alter_table("known_video_frame", schema=None) as batch_op:
        batch_op.create_index("ix_known_video_frame_entry_id", ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("known_video_frame", schema=None) as batch_op:
        batch_op.drop_index("ix_known_video_frame_entry_id")
    op.drop_table("known_video_frame")
