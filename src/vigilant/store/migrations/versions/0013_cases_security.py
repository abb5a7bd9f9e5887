"""cases security: release flag clearances, evidence link requests, owners of items seized with no number

``release_flag_clearance``: a reviewer's decision, with a reason, that naming an accused flagged in an
operation's release will not identify the victim the flag points at; without one the accused is withheld.

``evidence_link_request``: another agency's request to link an evidence item to a device seized in its
case, and the owner's answer (granted, refused, revoked).

An evidence item registered with no case number is owned by the agency whose case first recorded it as a
seized device: ``evidence_item.agency_id`` is filled in for those already seized (the lowest device id), as
the first seizure does from now on.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "release_flag_clearance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operation_id", sa.Integer(), nullable=False),
        sa.Column("accused_person_id", sa.Integer(), nullable=False),
        sa.Column("victim_person_id", sa.Integer(), nullable=False),
        sa.Column("shared", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cleared_by", sa.String(length=200), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operation.id"],
            name=op.f("fk_release_flag_clearance_operation_id_operation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["accused_person_id"],
            ["person.id"],
            name=op.f("fk_release_flag_clearance_accused_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["victim_person_id"],
            ["person.id"],
            name=op.f("fk_release_flag_clearance_victim_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_flag_clearance")),
        sa.UniqueConstraint(
            "operation_id", "accused_person_id", "victim_person_id", name="uq_release_flag_clearance_flag"
        ),
    )
    with op.batch_alter_table("release_flag_clearance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_release_flag_clearance_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_release_flag_clearance_accused_person_id"), ["accused_person_id"], unique=False
        )

    op.create_table(
        "evidence_link_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_item_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("requesting_agency_id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evidence_item_id"],
            ["evidence_item.id"],
            name=op.f("fk_evidence_link_request_evidence_item_id_evidence_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_evidence_link_request_case_id_case_file"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["seized_device.id"],
            name=op.f("fk_evidence_link_request_device_id_seized_device"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requesting_agency_id"],
            ["agency.id"],
            name=op.f("fk_evidence_link_request_requesting_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agency.id"], name=op.f("fk_evidence_link_request_owner_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_link_request")),
    )
    with op.batch_alter_table("evidence_link_request", schema=None) as batch_op:
        for column in ("evidence_item_id", "case_id", "requesting_agency_id", "owner_agency_id"):
            batch_op.create_index(batch_op.f(f"ix_evidence_link_request_{column}"), [column], unique=False)

    op.execute(
        """
        UPDATE evidence_item SET agency_id = (
            SELECT case_file.agency_id FROM seized_device
            JOIN seizure ON seizure.id = seized_device.seizure_id
            JOIN case_file ON case_file.id = seizure.case_id
            WHERE seized_device.evidence_item_id = evidence_item.id
            ORDER BY seized_device.id LIMIT 1
        )
        WHERE agency_id IS NULL AND case_number IS NULL
          AND EXISTS (SELECT 1 FROM seized_device WHERE seized_device.evidence_item_id = evidence_item.id)
        """
    )


def downgrade() -> None:
    # The owners recorded for items seized with no number stay: before, those items had none to record.
    with op.batch_alter_table("evidence_link_request", schema=None) as batch_op:
        for column in ("owner_agency_id", "requesting_agency_id", "case_id", "evidence_item_id"):
            batch_op.drop_index(batch_op.f(f"ix_evidence_link_request_{column}"))
    op.drop_table("evidence_link_request")
    with op.batch_alter_table("release_flag_clearance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_flag_clearance_accused_person_id"))
        batch_op.drop_index(batch_op.f("ix_release_flag_clearance_operation_id"))
    op.drop_table("release_flag_clearance")
