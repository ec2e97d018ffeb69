"""The database: tables (SQLAlchemy Core), engine, creation and migration.

One PostgreSQL database holds the registrations, the control card (`handovers`), the
processed-message ledger that makes every consumer idempotent, the transactional outbox, and the
reporter's read-model. The schema is migrated by Alembic (`shared/runtime/migrations/`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

metadata = sa.MetaData()
TS = sa.DateTime(timezone=True)

inquiries = sa.Table(
    "inquiries",
    metadata,
    sa.Column("inquiry_id", sa.Text, primary_key=True),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("upstream_id", sa.Text, nullable=False),
    sa.Column("account", sa.Text, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("service", sa.Text),
    sa.Column("topic", sa.Text),
    sa.Column("sent_at", TS, nullable=False),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("reply_id", sa.Text, unique=True),
    sa.Column("reply_text", sa.Text),
    sa.Column("replied_at", TS),
    sa.Column("delivered_at", TS),
    sa.Column("path", sa.Text),
    sa.Column("media_kind", sa.Text),
    sa.Column("media_id", sa.Text),
    # The citizen's side: the case's ticket number, when the survey went out and on which scale
    # (4, PermenPANRB 14/2017; 5 for surveys sent before migration 0009), and the rating on it.
    sa.Column("ticket", sa.Text),
    sa.Column("survey_sent_at", TS),
    sa.Column("survey_scale", sa.SmallInteger),
    sa.Column("rating", sa.SmallInteger),
    sa.Column("rated_at", TS),
    sa.UniqueConstraint("channel", "upstream_id", name="uq_inquiries_channel_upstream_id"),
    sa.UniqueConstraint("ticket", name="uq_inquiries_ticket"),
    sa.Index("ix_inquiries_channel_account", "channel", "account"),
    sa.Index("ix_inquiries_replied_at", "replied_at"),  # the suggestions read new answers by it
)

# The control card (kartu kendali): one row per handover, appended, closed once when done.
handovers = sa.Table(
    "handovers",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("inquiry_id", sa.Text, sa.ForeignKey("inquiries.inquiry_id"), nullable=False, index=True),
    sa.Column("step", sa.SmallInteger, nullable=False),
    sa.Column("from_role", sa.Text, nullable=False),
    sa.Column("to_role", sa.Text, nullable=False),
    sa.Column("seksi", sa.Text),
    sa.Column("bidang", sa.Text),
    sa.Column("task_id", sa.Text, unique=True),
    sa.Column("officer", sa.Text),
    sa.Column("handed_at", TS, nullable=False),
    sa.Column("taken_at", TS),
    sa.Column("done_at", TS),
    sa.Column("due_at", TS, nullable=False),
    sa.Column("standard_seconds", sa.Integer, nullable=False),
    sa.Column("duration_seconds", sa.Float),
    sa.Column("breached", sa.Boolean),
    sa.Column("outcome", sa.Text),
    # Escalation on the clock: how many breach notices went up the ladder, and when the next is due.
    sa.Column("escalation_level", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("next_notice_at", TS),
    # What the control card should say about the step beyond its times (e.g. a reply sent as a
    # WhatsApp template because the 24-hour window had closed).
    sa.Column("note", sa.Text),
)
sa.Index("ix_handovers_open", handovers.c.due_at, postgresql_where=handovers.c.done_at.is_(None))
sa.Index(
    "ix_handovers_next_notice",
    handovers.c.next_notice_at,
    postgresql_where=handovers.c.next_notice_at.is_not(None),
)

# Which consumer has handled which message: the idempotency ledger, written in the same
# transaction as the effect.
processed_messages = sa.Table(
    "processed_messages",
    metadata,
    sa.Column("consumer", sa.Text, primary_key=True),
    sa.Column("message_key", sa.Text, primary_key=True),
    sa.Column("processed_at", TS, nullable=False, server_default=sa.func.now()),
)

# Transactional outbox: what a handler publishes is written here with its effect, then published
# after the commit; if a crash comes first, the input is redelivered and publishes these rows.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("exchange", sa.Text, nullable=False),
    sa.Column("routing_key", sa.Text, nullable=False),
    sa.Column("message_id", sa.Text, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    sa.Column("sent_at", TS),
    # "<consumer>:<dedupe key>" of the input that produced the row, so a redelivered input
    # publishes exactly the outputs its first run recorded.
    sa.Column("source", sa.Text),
)
sa.Index("ix_outbox_unsent_source", outbox.c.source, postgresql_where=outbox.c.sent_at.is_(None))

# The reporter's read-model: one row per case, filled from events.
report_cases = sa.Table(
    "report_cases",
    metadata,
    sa.Column("inquiry_id", sa.Text, primary_key=True),
    sa.Column("day", sa.Date, nullable=False, index=True),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("topic", sa.Text),
    sa.Column("path", sa.Text),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("replied_at", TS),
)


# The last ticket number given on each office day (tickets count from 1 each day).
ticket_counters = sa.Table(
    "ticket_counters",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)

# The citizen notices sent (kind and time; the text went to the citizen and is not kept), for the
# control card.
notices = sa.Table(
    "notices",
    metadata,
    sa.Column("notice_id", sa.Text, primary_key=True),
    sa.Column("inquiry_id", sa.Text, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

# The gateway's book of what it sent to a chat platform: one row per reply, written as soon as the
# platform accepted it and before the reply is acked, so a redelivered reply is not sent twice.
gateway_sends = sa.Table(
    "gateway_sends",
    metadata,
    sa.Column("reply_id", sa.Text, primary_key=True),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("account", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # sent, delivered, failed
    sa.Column("via_template", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("kind", sa.Text, nullable=False, server_default="reply"),  # reply, or notice
    sa.Column("sent_at", TS),
    sa.Column("delivered_at", TS),
)

# Each platform message of a reply (a long answer goes out in parts), so a status webhook naming
# a platform message finds its reply, and a resend skips the parts already out.
gateway_messages = sa.Table(
    "gateway_messages",
    metadata,
    sa.Column("platform_message_id", sa.Text, primary_key=True),
    sa.Column("reply_id", sa.Text, nullable=False, index=True),
    sa.Column("part", sa.SmallInteger, nullable=False),
    sa.Column("sent_at", TS, nullable=False),
    sa.UniqueConstraint("reply_id", "part", name="uq_gateway_messages_reply_part"),
)

# The state of citizens' documents by registration number, from the office's daily export
# (`bamsos dokumen impor`): the router sends "is my document done?" to step 6 or 7 by it.
document_status = sa.Table(
    "document_status",
    metadata,
    sa.Column("number", sa.Text, primary_key=True),  # 1471-2026-000123
    sa.Column("status", sa.Text, nullable=False),  # issued, pending
    sa.Column("document", sa.Text, nullable=False),  # the export's jenis_dokumen
    sa.Column("updated_at", TS, nullable=False),  # the import that last changed the row
    sa.CheckConstraint("status IN ('issued', 'pending')", name="ck_document_status_status"),
)


# The officers who log in to the console: their units (queue keys: admin, kasi.<seksi>...) and a
# slow salted hash of their password (argon2id); never the password itself.
officers = sa.Table(
    "officers",
    metadata,
    sa.Column("username", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("units", sa.ARRAY(sa.Text), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", TS, nullable=False),
    # Roles beside the units: `pdp`, the data-protection officer (shared/staff/officers.py).
    sa.Column("roles", sa.ARRAY(sa.Text), nullable=False, server_default="{}"),
)

# Every look at or export of personal data (shared/privacy/access_log.py): appended only (the
# services' role may not update or delete it), each row chained to the one before by a keyed hash.
access_log = sa.Table(
    "access_log",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),  # an officer's username, or os:<user> for a command
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("case_id", sa.Text),
    sa.Column("account_hash", sa.Text),  # HMAC of channel and account: never the account itself
    sa.Column("client", sa.Text),  # the console's client address
    sa.Column("reference", sa.Text),  # a data-subject request's number, a laporan's period
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("row_hash", sa.Text, nullable=False),
)
sa.Index("ix_access_log_at", access_log.c.at)
sa.Index("ix_access_log_account_hash", access_log.c.account_hash)

# The database role the services, the console and the gateway run as (a login user is made a
# member of it): everything on the pipeline's tables, only INSERT and SELECT on `access_log`.
SERVICE_ROLE = "bamsos_service"


# Which answer suggestion an officer inserted into a sent answer (a template's key, "jawaban" for
# a past answer, none), and whether they edited it: owned by shared/staff/saran/usage.py.
answer_suggestions = sa.Table(
    "answer_suggestions",
    metadata,
    sa.Column("task_id", sa.Text, primary_key=True),
    sa.Column("inquiry_id", sa.Text, nullable=False),  # no foreign key: erasing a case stays possible
    sa.Column("service", sa.Text),
    sa.Column("source", sa.Text, nullable=False),  # templat, jawaban, tanpa
    sa.Column("template", sa.Text),
    sa.Column("edited", sa.Boolean, nullable=False),
    sa.Column("sent_at", TS, nullable=False, index=True),
)


def make_engine(database_url: str) -> Engine:
    # No pre-ping: it costs a round trip per batch, and a dead connection already fails as a
    # transient error that the worker retries (the pool drops it). `values_plus_batch`: a batch's
    # row updates (shared/runtime/worker/writes.py) go as one round trip per 100 rows, not one each.
    return sa.create_engine(database_url, pool_size=2, max_overflow=2, executemany_mode="values_plus_batch")


def create_database(database_url: str) -> bool:
    """Create the database named in the URL if it does not exist; True when it was created."""
    url = make_url(database_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
            return not exists
    finally:
        admin.dispose()


def drop_database(database_url: str) -> None:
    url = make_url(database_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _alembic_config(database_url: str) -> Any:
    from alembic.config import Config  # only setup needs Alembic: services don't load it

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(database_url: str) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    from alembic import command

    command.upgrade(_alembic_config(database_url), "head")


def schema_at_head(database_url: str) -> bool:
    """Whether the database's schema is at this code's newest Alembic revision (what `migrate`
    leaves); False while it is older, or not there yet."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(_alembic_config(database_url)).get_heads())
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as db:
            return set(MigrationContext.configure(db).get_current_heads()) == heads
    finally:
        engine.dispose()
