"""evidence_item: agency_id, the agency whose case number the item's case_number is

Case numbers are unique per agency only, so an item's case number alone could name cases of two agencies,
and make the item visible to both. With the agency recorded, the number names that agency's case only;
items added before (agency unknown) are linked by their number only while one agency has a case with it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_evidence_item_agency_id"), ["agency_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_item_agency_id_agency"), "agency", ["agency_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_evidence_item_agency_id_agency"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_evidence_item_agency_id"))
        batch_op.drop_column("agency_id")
