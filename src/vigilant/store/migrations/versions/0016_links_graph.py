"""link analysis: the entity graph's tables, link_entity and link_edge (issue 13)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "link_entity",
        sa.Column("id", big_id, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("label", sa.String(length=400), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("attrs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_entity")),
        sa.UniqueConstraint("kind", "key", name="uq_link_entity_kind_key"),
    )
    op.create_table(
        "link_edge",
        sa.Column("id", big_id, nullable=False),
        sa.Column("builder", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("origin_ids", sa.JSON(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("distribution", sa.String(length=20), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["link_entity.id"],
            name=op.f("fk_link_edge_source_id_link_entity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["link_entity.id"],
            name=op.f("fk_link_edge_target_id_link_entity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_edge")),
    )
    with op.batch_alter_table("link_edge", schema=None) as batch_op:
        batch_op.create_index("ix_link_edge_source_id", ["source_id"], unique=False)
        batch_op.create_index("ix_link_edge_target_id", ["target_id"], unique=False)
        batch_op.create_index("ix_link_edge_builder", ["builder"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("link_edge", schema=None) as batch_op:
        batch_op.drop_index("ix_link_edge_builder")
        batch_op.drop_index("ix_link_edge_target_id")
        batch_op.drop_index("ix_link_edge_source_id")
    op.drop_table("link_edge")
    op.drop_table("link_entity")
