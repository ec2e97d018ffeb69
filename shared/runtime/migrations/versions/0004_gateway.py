"""the gateway: what it sent to the chat platforms; media on inquiries; a note on the control card

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("inquiries", sa.Column("media_kind", sa.Text(), nullable=True))
    op.add_column("inquiries", sa.Column("media_id", sa.Text(), nullable=True))
    op.add_column("handovers", sa.Column("note", sa.Text(), nullable=True))
    op.create_table(
        "gateway_sends",
        sa.Column("reply_id", sa.Text(), primary_key=True),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("via_template", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("sent_at", TS),
        sa.Column("delivered_at", TS),
    )
    op.create_table(
        "gateway_messages",
        sa.Column("platform_message_id", sa.Text(), primary_key=True),
        sa.Column("reply_id", sa.Text(), nullable=False),
        sa.Column("part", sa.SmallInteger(), nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        sa.UniqueConstraint("reply_id", "part", name="uq_gateway_messages_reply_part"),
    )
    op.create_index("ix_gateway_messages_reply_id", "gateway_messages", ["reply_id"])


def downgrade() -> None:
    op.drop_index("ix_gateway_messages_reply_id", table_name="gateway_messages")
    op.drop_table("gateway_messages")
    op.drop_table("gateway_sends")
    op.drop_column("handovers", "note")
    op.drop_column("inquiries", "media_id")
    op.drop_column("inquiries", "media_kind")
