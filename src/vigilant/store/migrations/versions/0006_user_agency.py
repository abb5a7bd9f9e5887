"""users: agency_id references agency.id; room for sealed TOTP seeds

The users table (0004) came before the agencies table (0005); this ties them together, so a user can no
longer name an agency that was never recorded, and an agency with users cannot be deleted from under them.
TOTP seeds are now stored sealed (vigilant.security.secretbox), which takes more room than the bare seed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FK_NAME = "fk_app_user_agency_id_agency"


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_foreign_key(FK_NAME, "agency", ["agency_id"], ["id"])
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=128),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=128),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
        batch_op.drop_constraint(FK_NAME, type_="foreignkey")
