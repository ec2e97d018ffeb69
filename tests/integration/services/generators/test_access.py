"""Least privilege on the real broker: the users of deploy/rabbitmq/definitions.json can do their
own work and nothing else (no one but the admin declares or binds anything), the whole pipeline —
five workers, the gateway's webhooks and sender, the console — runs on them, and a task result
counts only from the unit that holds the task."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit, urlunsplit

import pika
import pytest
import sqlalchemy as sa
from pika.exceptions import ChannelClosedByBroker

from services import catalog
from services.console.state import build_console
from services.generators import access
from shared.devtools import fake_platforms
from shared.devtools.fake_platforms import FakePlatforms
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries, make_engine, report_cases
from shared.runtime.worker.amqp import connect
from shared.sop.contracts import Outcome
from shared.sop.office_calendar import office_zone
from shared.sop.orgchart import OrgChart
from shared.staff.actions import send_result, take_next
from shared.staff.officers import add_officer
from tests import servers as real
from tests.helpers import InProcess, drain, ready_count, wait_for
from tests.integration.services.console.conftest import client_for, logged_in
from tests.integration.services.console.test_work import take
from tests.integration.services.gateway.platforms_on import with_platforms
from tests.integration.services.gateway.test_sender import sending
from tests.integration.services.gateway.test_webhooks import serving

pytestmark = pytest.mark.integration

PASSWORD = "rahasia-uji"


@pytest.fixture
def as_user(servers: real.Servers, amqp_url: str, chart: OrgChart) -> Iterator[dict[str, str]]:
    """The definitions applied to the test vhost for users named `<run prefix>.<user>`;
    yields user -> AMQP URL as that user. The users are deleted afterwards."""
    assert servers.rabbitmqctl is not None
    prefix = f"t{uuid.uuid4().hex[:8]}."
    parts = urlsplit(amqp_url)
    vhost = parts.path.lstrip("/")
    access.apply(servers.rabbitmqctl, vhost, chart, password=PASSWORD, prefix=prefix)
    try:
        yield {
            grant.user: urlunsplit(
                parts._replace(
                    netloc=f"{quote(prefix + grant.user)}:{PASSWORD}@{parts.hostname}:{parts.port}"
                )
            )
            for grant in access.grants(chart)
        } | {"prefix": prefix}
    finally:
        access.remove(servers.rabbitmqctl, chart, prefix=prefix)


def refused(url: str, action: str, **kw: str) -> int:
    """Try one AMQP action as a user; the broker's reply code when it closes the channel, else 0."""
    connection = connect(url)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        if action == "read":
            channel.basic_get(kw["queue"], auto_ack=False)
        elif action == "declare":
            channel.queue_declare(kw["queue"], durable=True)
        elif action == "bind":
            channel.queue_bind(kw["queue"], kw["exchange"], routing_key="#")
        else:
            properties = pika.BasicProperties(user_id=kw.get("user_id"))
            channel.basic_publish(kw["exchange"], kw["key"], b"{}", properties)
        return 0
    except ChannelClosedByBroker as closed:
        return int(closed.reply_code)
    finally:
        if connection.is_open:
            connection.close()


def test_each_user_reaches_its_own_queues_and_exchanges_and_nothing_else(
    as_user: dict[str, str], chart: OrgChart
) -> None:
    seksi = sorted(chart.seksi)
    own, other = f"kasi.{seksi[0]}", f"kasi.{seksi[1]}"
    kasi = as_user[topology.unit_user(own)]
    assert refused(kasi, "read", queue=topology.TASK_QUEUE_PREFIX + own) == 0
    assert refused(kasi, "read", queue=topology.TASK_QUEUE_PREFIX + other) == 403, "another unit's queue"
    assert refused(kasi, "read", queue="bamsos.tasks.admin") == 403
    assert refused(kasi, "publish", exchange=topology.EVENTS, key=topology.TASK_RESULT) == 0
    assert refused(kasi, "publish", exchange=topology.EVENTS, key=topology.REGISTERED) == 403, "fake events"
    assert refused(kasi, "publish", exchange=topology.OUTBOUND, key="reply.instagram") == 403

    connector = as_user[access.CONNECTOR]
    assert refused(connector, "publish", exchange=topology.INBOUND, key="inquiry.instagram") == 0
    assert refused(connector, "publish", exchange=topology.INBOUND, key="receipt.instagram") == 0
    assert refused(connector, "read", queue=topology.REPLIES_QUEUE) == 0
    assert refused(connector, "publish", exchange=topology.EVENTS, key=topology.TASK_RESULT) == 403
    assert refused(connector, "publish", exchange=topology.TASKS, key="admin") == 403
    assert refused(connector, "read", queue="bamsos.tasks.admin") == 403
    assert refused(connector, "read", queue="bamsos.intake") == 403

    assert refused(as_user["reporter"], "read", queue="bamsos.router") == 403
    # Intake sends citizen notices on bamsos.outbound, never a reply.
    assert refused(as_user["intake"], "publish", exchange=topology.OUTBOUND, key="reply.web") == 403
    assert refused(as_user["intake"], "publish", exchange=topology.OUTBOUND, key="notice.web") == 0
    # A user can't sign as another: RabbitMQ checks user_id against the connection's user.
    forged = as_user["prefix"] + topology.unit_user("admin")
    assert refused(kasi, "publish", exchange=topology.EVENTS, key=topology.TASK_RESULT, user_id=forged) == 406


def own_queue(user: str, chart: OrgChart) -> str:
    """The queue a (non-admin) user reads."""
    queues = {spec.name: spec.queue for spec in catalog.specs()}
    queues |= {topology.unit_user(key): topology.TASK_QUEUE_PREFIX + key for key in chart.unit_keys()}
    queues |= {topology.CONSOLE_USER: "bamsos.tasks.admin", access.CONNECTOR: topology.REPLIES_QUEUE}
    return queues[user]


def test_no_user_but_the_admin_may_declare_a_queue_or_bind_one(
    as_user: dict[str, str], chart: OrgChart
) -> None:
    """Declaring and binding are the broker's `configure`, `write` on the queue and `read` on the
    exchange: a user who could bind its own queue to bamsos.tasks would get every unit's cases."""
    users = [g.user for g in access.grants(chart) if g.user != access.ADMIN]
    assert {*catalog.NAMES, access.CONNECTOR, topology.CONSOLE_USER} <= set(users)
    answers = {
        user: (
            refused(as_user[user], "declare", queue=f"bamsos.{user}.mine"),
            refused(as_user[user], "declare", queue=own_queue(user, chart)),
            refused(as_user[user], "bind", queue=own_queue(user, chart), exchange=topology.TASKS),
        )
        for user in users
    }
    assert answers == dict.fromkeys(users, (403, 403, 403)), "ACCESS_REFUSED, every one"
    # The admin may: the refusals are about permissions, not a malformed request.
    admin = as_user[access.ADMIN]
    assert refused(admin, "declare", queue="bamsos.probe") == 0
    assert refused(admin, "bind", queue="bamsos.probe", exchange=topology.TASKS) == 0


# Citizens' Telegram messages that the router's classifier sends down three different SOP paths.
MESSAGES = {
    "admin": "Min, syarat bikin KIA apa aja?",  # informasi: the admin (step 3)
    "editor": "min nama ibu di akta kelahiran anak sy salah tulis, tertulis Sity padahal Siti",  # step 5
    "pickup": "KTP saya udh jadi, ambil dimana?",  # dokumen_terbit: the pickup desk (step 7)
}
ANSWERS = {"admin": "Syarat KIA: akta kelahiran dan KK.", "editor": "Silakan bawa KK.", "pickup": "Loket 3."}


def test_the_whole_pipeline_runs_on_its_own_users_and_counts_a_result_only_from_the_unit_holding_it(
    as_user: dict[str, str], settings: Settings, chart: OrgChart
) -> None:
    """From a platform's webhook to the citizen's chat and back (the receipt), every process on its
    own broker user: the five workers, the gateway (webhooks and sender) as the connector, the
    console as its user, and a staff unit on its own."""

    def on(user: str) -> Settings:
        return settings.model_copy(
            update={"amqp_url": as_user[user], "unit_users": True, "broker_user_prefix": as_user["prefix"]}
        )

    engine = make_engine(settings.database_url)
    add_officer(engine, chart, "rina", "Rina Admin", ["admin"], "kata-sandi-uji-123")
    add_officer(engine, chart, "yanti", "Yanti Loket", ["pickup"], "kata-sandi-uji-123")
    console = build_console(on(topology.CONSOLE_USER), secret=uuid.uuid4().hex, poll_seconds=0.2)
    editor = as_user[topology.unit_user("editor")]
    now, zone = datetime.now(UTC), office_zone(settings)
    with FakePlatforms() as fake, ExitStack() as running:
        for name in catalog.NAMES:
            running.enter_context(InProcess(name, on(name)))
        webhooks = running.enter_context(serving(with_platforms(on(access.CONNECTOR)), engine))
        running.enter_context(sending(on(access.CONNECTOR), engine, fake))
        running.callback(console.engine.dispose)
        staff = running.enter_context(client_for(console))

        for n, text in enumerate(MESSAGES.values(), start=1):
            posted = webhooks.telegram(fake_platforms.telegram_text(n, 4240 + n, n, "Siti", text))
            assert posted.status_code == 200
        for unit in MESSAGES:
            queue = topology.TASK_QUEUE_PREFIX + unit
            wait_for(lambda q=queue: ready_count(settings.amqp_url, q) == 1, what=f"a task on {queue}")

        # The admin's case in the console; the editing unit's officer answers it on his own user:
        # it does not count (dead-lettered), the console's answer does.
        token = logged_in(staff, "rina")
        admin_task = take(staff, "admin", token)
        send_result(
            engine, editor, admin_task, officer="ED", outcome=Outcome.answered, text="x", now=now, zone=zone
        )
        wait_for(lambda: ready_count(settings.amqp_url, topology.DEAD_LETTER_QUEUE) == 1, what="dead")
        answered = staff.post(
            f"/kasus/{admin_task}/jawab", data={"csrf_token": token, "teks": ANSWERS["admin"]}
        )
        assert answered.status_code == 303, answered.text
        # The editing unit's own case, from the terminal on its own user.
        task = take_next(engine, editor, "editor", "ED", chart)
        assert task is not None
        send_result(
            engine,
            editor,
            task.task_id,
            officer="ED",
            outcome=Outcome.answered,
            text=ANSWERS["editor"],
            now=now,
            zone=zone,
        )
        # The pickup desk's case in the console.
        staff.cookies.clear()
        token = logged_in(staff, "yanti")
        pickup_task = take(staff, "pickup", token)
        answered = staff.post(
            f"/kasus/{pickup_task}/selesai", data={"csrf_token": token, "teks": ANSWERS["pickup"]}
        )
        assert answered.status_code == 303, answered.text

        def delivered() -> int:
            with engine.connect() as db:
                return int(
                    db.scalar(sa.select(sa.func.count()).where(inquiries.c.delivered_at.is_not(None))) or 0
                )

        def reported() -> list[str]:
            with engine.connect() as db:
                return sorted(
                    db.scalars(sa.select(report_cases.c.path).where(report_cases.c.replied_at.is_not(None)))
                )

        wait_for(lambda: delivered() == len(MESSAGES), what="every answer sent and its receipt back")
        wait_for(lambda: reported() == ["3", "5", "7"], what="the reporter's read-model of the three")
        wait_for(
            lambda: all(ready_count(settings.amqp_url, q.name) == 0 for q in catalog.all_queues(chart)),
            what="every queue drained",
        )

    sent = [call.text or "" for call in fake.sent("telegram")]
    for unit, answer in ANSWERS.items():
        assert sum(text.startswith(answer) for text in sent) == 1, f"{unit}'s answer, once"
    # Intake's acknowledgements (citizen notices on its own user) went out too, one per inquiry.
    assert sum("sudah kami terima" in text for text in sent) == len(MESSAGES)
    with engine.connect() as db:
        assert sorted(db.scalars(sa.select(inquiries.c.path))) == ["3", "5", "7"]
    [dead] = drain(settings.amqp_url, topology.DEAD_LETTER_QUEUE)
    assert dead.properties.headers["x-bamsos-reason"] == "wrong_sender"
