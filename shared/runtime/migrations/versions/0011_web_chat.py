"""the website chat box's conversations

Revision ID: 0011_web_chat
Revises: 0010_answer_suggestions
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_web_chat"
down_revision = "0010_answer_suggestions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("visitor", sa.Text(), nullable=False),
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), unique=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_web_messages_visitor_id", "web_messages", ["visitor", "id"])


def downgrade() -> None:
    op.drop_table("web_messages")
