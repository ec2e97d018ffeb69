"""the access log of personal data (append-only for the services' role); officers' roles

Revision ID: 0008_access_log
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_access_log"
down_revision = "0007"
branch_labels = None
depends_on = None

ROLE = "bamsos_service"  # shared/runtime/storage.py SERVICE_ROLE, fixed here as the migration ran


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Text()),
        sa.Column("account_hash", sa.Text()),
        sa.Column("client", sa.Text()),
        sa.Column("reference", sa.Text()),
        sa.Column("prev_hash", sa.Text(), nullable=False),
        sa.Column("row_hash", sa.Text(), nullable=False),
    )
    op.create_index("ix_access_log_at", "access_log", ["at"])
    op.create_index("ix_access_log_account_hash", "access_log", ["account_hash"])
    op.add_column("officers", sa.Column("roles", sa.ARRAY(sa.Text()), nullable=False, server_default="{}"))
    # Roles belong to the whole server, so another database, the operator (deploy/k8s declares it)
    # or a migration running beside this one may have made it already: looked up first (an owner
    # without CREATEROLE, as CloudNativePG's, may not even try), and the race's errors taken as done.
    op.execute(
        f"""DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
            CREATE ROLE {ROLE} NOLOGIN;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"""
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    # Tables later migrations create (as the role that runs `bamsos setup`) are the services' too.
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}"
    )
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {ROLE}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {ROLE}")
    # Append-only in fact: the services may add rows and read them, never change or remove one.
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON access_log FROM {ROLE}")


def downgrade() -> None:
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {ROLE}")
    op.drop_column("officers", "roles")
    op.drop_index("ix_access_log_account_hash", table_name="access_log")
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.drop_table("access_log")
