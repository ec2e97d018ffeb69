"""the satisfaction survey's scale with each case: 4 (PermenPANRB 14/2017) from now on, 5 before

Revision ID: 0009_survey_scale
Revises: 0008_access_log
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_survey_scale"
down_revision = "0008_access_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The scale of the survey a case was sent, so its rating is read on that scale: every survey
    # sent before this revision asked on 1-5; their ratings keep their stored value.
    op.add_column("inquiries", sa.Column("survey_scale", sa.SmallInteger(), nullable=True))
    op.execute("UPDATE inquiries SET survey_scale = 5 WHERE survey_sent_at IS NOT NULL")


def downgrade() -> None:
    op.drop_column("inquiries", "survey_scale")
