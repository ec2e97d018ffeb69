"""answer suggestions: which one an officer inserted; past answers read by reply time

Revision ID: 0010_answer_suggestions
Revises: 0009_survey_scale
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_answer_suggestions"
down_revision = "0009_survey_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_suggestions",
        sa.Column("task_id", sa.Text(), primary_key=True),
        sa.Column("inquiry_id", sa.Text(), nullable=False),
        sa.Column("service", sa.Text()),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("template", sa.Text()),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_answer_suggestions_sent_at", "answer_suggestions", ["sent_at"])
    # The suggestions' index of past answers reads what was answered since its last read.
    op.create_index("ix_inquiries_replied_at", "inquiries", ["replied_at"])


def downgrade() -> None:
    op.drop_index("ix_inquiries_replied_at", table_name="inquiries")
    op.drop_table("answer_suggestions")
