"""the citizen's side: tickets, notices, the satisfaction survey

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("inquiries", sa.Column("ticket", sa.Text(), nullable=True))
    op.create_unique_constraint("uq_inquiries_ticket", "inquiries", ["ticket"])
    op.add_column("inquiries", sa.Column("survey_sent_at", TS, nullable=True))
    op.add_column("inquiries", sa.Column("rating", sa.SmallInteger(), nullable=True))
    op.add_column("inquiries", sa.Column("rated_at", TS, nullable=True))
    op.create_table(
        "ticket_counters",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "notices",
        sa.Column("notice_id", sa.Text(), primary_key=True),
        sa.Column("inquiry_id", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_notices_inquiry_id", "notices", ["inquiry_id"])
    # The survey's answer is looked up by the citizen's account on a channel.
    op.create_index("ix_inquiries_channel_account", "inquiries", ["channel", "account"])
    # The gateway sends notices as well as replies; only a reply's delivery closes step 8.
    op.add_column("gateway_sends", sa.Column("kind", sa.Text(), nullable=False, server_default="reply"))


def downgrade() -> None:
    op.drop_column("gateway_sends", "kind")
    op.drop_index("ix_inquiries_channel_account", table_name="inquiries")
    op.drop_index("ix_notices_inquiry_id", table_name="notices")
    op.drop_table("notices")
    op.drop_table("ticket_counters")
    for column in ("rated_at", "rating", "survey_sent_at"):
        op.drop_column("inquiries", column)
    op.drop_constraint("uq_inquiries_ticket", "inquiries", type_="unique")
    op.drop_column("inquiries", "ticket")
