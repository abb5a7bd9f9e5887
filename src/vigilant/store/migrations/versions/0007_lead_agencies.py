"""lead: assigned_agency_id and routed_agency_id reference agency.id

Leads (0003) came before the agency table (0005) and named the agency working a lead (``agency``) and the
one the jurisdiction table routed it to (``routed_to``) as strings; scoping compared those strings with the
caller's agency. This adds the agencies by id and fills them for existing leads: a name matches an agency
whose name or short name it equals, ignoring case. A name that matches no agency, or more than one (one
agency's name being another's short name), is left unmatched: only a coordinating agency sees such a lead
until it is assigned again. The names stay, for the record.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = {"agency": "assigned_agency_id", "routed_to": "routed_agency_id"}  # name column -> id column


def upgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        for column in COLUMNS.values():
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_lead_{column}"), [column], unique=False)
            batch_op.create_foreign_key(batch_op.f(f"fk_lead_{column}_agency"), "agency", [column], ["id"])
    backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        for column in COLUMNS.values():
            batch_op.drop_constraint(batch_op.f(f"fk_lead_{column}_agency"), type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_lead_{column}"))
            batch_op.drop_column(column)


def backfill(connection: sa.Connection) -> dict[str, int]:
    """Set each lead's agency ids from its agency names; returns the names left unmatched, with how many
    leads carry each. Matching is done here, not in SQL: SQLite's lower() folds ASCII only ("Sûreté")."""
    agency = sa.table("agency", sa.column("id", sa.Integer), sa.column("name"), sa.column("short_name"))
    lead = sa.table(
        "lead", sa.column("id", sa.Integer), *(sa.column(c) for c in (*COLUMNS, *COLUMNS.values()))
    )
    ids: dict[str, set[int]] = {}
    for agency_id, name, short_name in connection.execute(
        sa.select(agency.c.id, agency.c.name, agency.c.short_name)
    ):
        for text in {name, short_name}:
            if text and text.strip():
                ids.setdefault(text.strip().casefold(), set()).add(agency_id)
    unmatched: dict[str, int] = {}
    rows = connection.execute(sa.select(lead.c.id, *(lead.c[c] for c in COLUMNS))).all()
    for lead_id, *names in rows:
        values: dict[str, int | None] = {}
        for name, id_column in zip(names, COLUMNS.values(), strict=True):
            found = ids.get(name.strip().casefold(), set()) if name and name.strip() else set()
            values[id_column] = next(iter(found)) if len(found) == 1 else None
            if name and name.strip() and len(found) != 1:
                unmatched[name] = unmatched.get(name, 0) + 1
        if any(v is not None for v in values.values()):
            connection.execute(sa.update(lead).where(lead.c.id == lead_id).values(**values))
    return unmatched
