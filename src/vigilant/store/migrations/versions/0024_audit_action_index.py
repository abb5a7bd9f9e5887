"""audit_event: drop the index on action alone, which the (action, seq) index of 0015 already serves

Every audit append maintained both; a search by action (``vigilant audit search --action``, the auditor's
page) reads the composite index's prefix, newest first by seq.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.drop_index("ix_audit_event_action")


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.create_index("ix_audit_event_action", ["action"], unique=False)
