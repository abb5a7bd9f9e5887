"""library: hash sets, known files, imports

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hash_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("profile", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("source_size", sa.BigInteger(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("entry_count", sa.BigInteger(), nullable=False),
        sa.Column("refused_count", sa.BigInteger(), nullable=False),
        sa.Column("pdq_threshold", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_set")),
        sa.UniqueConstraint("name", "version", name="uq_hash_set_name_version"),
        sa.UniqueConstraint("source_sha256", name="uq_hash_set_source_sha256"),
    )
    op.create_table(
        "known_file",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hash_set_id", sa.Integer(), nullable=False),
        sa.Column("md5", sa.LargeBinary(length=16), nullable=True),
        sa.Column("sha1", sa.LargeBinary(length=20), nullable=True),
        sa.Column("sha256", sa.LargeBinary(length=32), nullable=True),
        sa.Column("pdq", sa.LargeBinary(length=32), nullable=True),
        sa.Column("pdq_quality", sa.SmallInteger(), nullable=True),
        sa.Column("btih_v1", sa.LargeBinary(length=20), nullable=True),
        sa.Column("btih_v2", sa.LargeBinary(length=32), nullable=True),
        sa.Column("bt_v2_root", sa.LargeBinary(length=32), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("series", sa.Text(), nullable=True),
        sa.Column("victim_identified", sa.Boolean(), nullable=True),
        sa.Column("offender_identified", sa.Boolean(), nullable=True),
        sa.Column("distributed", sa.Boolean(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hash_set_id"],
            ["hash_set.id"],
            name=op.f("fk_known_file_hash_set_id_hash_set"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_file")),
    )
    with op.batch_alter_table("known_file", schema=None) as batch_op:
        batch_op.create_index("ix_known_file_bt_v2_root", ["bt_v2_root"], unique=False)
        batch_op.create_index("ix_known_file_btih_v1", ["btih_v1"], unique=False)
        batch_op.create_index("ix_known_file_btih_v2", ["btih_v2"], unique=False)
        batch_op.create_index("ix_known_file_hash_set_id", ["hash_set_id"], unique=False)
        batch_op.create_index("ix_known_file_md5", ["md5"], unique=False)
        batch_op.create_index("ix_known_file_sha1", ["sha1"], unique=False)
        batch_op.create_index("ix_known_file_sha256", ["sha256"], unique=False)

    op.create_table(
        "library_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hash_set_id", sa.Integer(), nullable=True),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_taken", sa.BigInteger(), nullable=False),
        sa.Column("rows_refused", sa.BigInteger(), nullable=False),
        sa.Column("refused_by_reason", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hash_set_id"],
            ["hash_set.id"],
            name=op.f("fk_library_import_hash_set_id_hash_set"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_import")),
    )
    with op.batch_alter_table("library_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_library_import_source_sha256"), ["source_sha256"], unique=False)

    op.create_table(
        "library_import_problem",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["library_import.id"],
            name=op.f("fk_library_import_problem_import_id_library_import"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_import_problem")),
    )
    with op.batch_alter_table("library_import_problem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_library_import_problem_import_id"), ["import_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("library_import_problem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_import_problem_import_id"))

    op.drop_table("library_import_problem")
    with op.batch_alter_table("library_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_import_source_sha256"))

    op.drop_table("library_import")
    with op.batch_alter_table("known_file", schema=None) as batch_op:
        batch_op.drop_index("ix_known_file_sha256")
        batch_op.drop_index("ix_known_file_sha1")
        batch_op.drop_index("ix_known_file_md5")
        batch_op.drop_index("ix_known_file_hash_set_id")
        batch_op.drop_index("ix_known_file_btih_v2")
        batch_op.drop_index("ix_known_file_btih_v1")
        batch_op.drop_index("ix_known_file_bt_v2_root")

    op.drop_table("known_file")
    op.drop_table("hash_set")
