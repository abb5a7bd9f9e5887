"""audit_event: index (action, seq), so that the newest change event is one index look-up per action

Views computed from the records (the dashboard's figures) are cached under the seq of the newest event that
recorded a change (security.audit.last_change_seq); every request asks for it, however long the log.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_event_action_seq", "audit_event", ["action", "seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_event_action_seq", table_name="audit_event")
