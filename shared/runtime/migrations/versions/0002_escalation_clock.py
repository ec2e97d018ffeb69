"""escalation on the clock: notice level and next notice time on each handover

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "handovers",
        sa.Column("escalation_level", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.add_column("handovers", sa.Column("next_notice_at", sa.DateTime(timezone=True), nullable=True))
    # Steps already open when this lands are watched from their due time on.
    op.execute("UPDATE handovers SET next_notice_at = due_at WHERE done_at IS NULL")
    op.create_index(
        "ix_handovers_next_notice",
        "handovers",
        ["next_notice_at"],
        postgresql_where=sa.text("next_notice_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_handovers_next_notice", table_name="handovers")
    op.drop_column("handovers", "next_notice_at")
    op.drop_column("handovers", "escalation_level")
