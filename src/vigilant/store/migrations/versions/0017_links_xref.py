"""link analysis: person resolution (xref) runs, proposals and analysts' judgements (issue 13)

``xref_run``: one run of the fixed xref model over every person; ``xref_proposal``: the newest run's pairs,
with their score and the comparisons behind it; ``xref_judgement``: analysts' judgements, never replaced,
each with the pair's evidence fingerprint at the time.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xref_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("pairs_compared", sa.Integer(), nullable=False),
        sa.Column("proposals", sa.Integer(), nullable=False),
        sa.Column("run_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xref_run")),
    )
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "xref_proposal",
        sa.Column("id", big_id, nullable=False),
        sa.Column("person_a_id", sa.Integer(), nullable=False),
        sa.Column("person_b_id", sa.Integer(), nullable=False),
        sa.Column("match_weight", sa.Double(), nullable=False),
        sa.Column("match_probability", sa.Double(), nullable=False),
        sa.Column("comparisons", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("first_proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_a_id"],
            ["person.id"],
            name=op.f("fk_xref_proposal_person_a_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_b_id"],
            ["person.id"],
            name=op.f("fk_xref_proposal_person_b_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["xref_run.id"], name=op.f("fk_xref_proposal_run_id_xref_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xref_proposal")),
        sa.UniqueConstraint("person_a_id", "person_b_id", name="uq_xref_proposal_pair"),
    )
    with op.batch_alter_table("xref_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xref_proposal_person_a_id"), ["person_a_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_xref_proposal_person_b_id"), ["person_b_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_xref_proposal_run_id"), ["run_id"], unique=False)

    op.create_table(
        "xref_judgement",
        sa.Column("id", big_id, nullable=False),
        sa.Column("person_a_id", sa.Integer(), nullable=False),
        sa.Column("person_b_id", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("match_weight", sa.Double(), nullable=True),
        sa.Column("judged_by", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_a_id"],
            ["person.id"],
            name=op.f("fk_xref_judgement_person_a_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_b_id"],
            ["person.id"],
            name=op.f("fk_xref_judgement_person_b_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_xref_judgement_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xref_judgement")),
    )
    with op.batch_alter_table("xref_judgement", schema=None) as batch_op:
        batch_op.create_index("ix_xref_judgement_pair", ["person_a_id", "person_b_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_xref_judgement_person_b_id"), ["person_b_id"], unique=False)


def downgrade() -> None:
    op.drop_table("xref_judgement")
    op.drop_table("xref_proposal")
    op.drop_table("xref_run")
