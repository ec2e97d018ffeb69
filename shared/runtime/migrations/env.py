"""Alembic environment: runs migrations online against `sqlalchemy.url`."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from shared.runtime.storage import metadata

config = context.config
engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=sa.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
