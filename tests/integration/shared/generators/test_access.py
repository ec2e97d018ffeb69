"""Least privilege on the real broker: the users of deploy/rabbitmq/definitions.json can do their
own work and nothing else, and a task result counts only from the unit that holds the task."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit, urlunsplit

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker

from shared.generators import access
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import make_engine
from shared.sop.contracts import Outcome
from shared.sop.office_calendar import office_zone
from shared.sop.orgchart import OrgChart
from shared.staff.actions import send_result, take_next
from tests import servers as real
from tests.helpers import INQUIRY, InProcess, drain, ready_count, wait_for

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
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        if action == "read":
            channel.basic_get(kw["queue"], auto_ack=False)
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


def test_the_pipeline_runs_on_its_own_users_and_counts_a_result_only_from_the_unit_holding_it(
    as_user: dict[str, str], settings: Settings, chart: OrgChart
) -> None:
    def service(name: str) -> Settings:
        return settings.model_copy(
            update={"amqp_url": as_user[name], "unit_users": True, "broker_user_prefix": as_user["prefix"]}
        )

    engine = make_engine(settings.database_url)
    admin, editor = as_user[topology.unit_user("admin")], as_user[topology.unit_user("editor")]
    with InProcess("intake", service("intake")), InProcess("router", service("router")):
        connection = pika.BlockingConnection(pika.URLParameters(as_user[access.CONNECTOR]))
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(topology.INBOUND, "inquiry.instagram", json.dumps(INQUIRY).encode())
        connection.close()
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.tasks.admin") == 1, what="the admin's task")
        task = take_next(engine, admin, "admin", "AS", chart)
        assert task is not None
        now, zone = datetime.now(UTC), office_zone(settings)
        # The editing unit's officer answers the admin's task: it does not count.
        send_result(
            engine, editor, task.task_id, officer="ED", outcome=Outcome.answered, text="x", now=now, zone=zone
        )
        wait_for(lambda: ready_count(settings.amqp_url, topology.DEAD_LETTER_QUEUE) == 1, what="dead")
        send_result(
            engine, admin, task.task_id, officer="AS", outcome=Outcome.answered, text="Ya", now=now, zone=zone
        )
        # The acknowledgement intake sent on its own user, then the answer.
        wait_for(lambda: ready_count(settings.amqp_url, topology.REPLIES_QUEUE) == 2, what="the reply")
    dead = drain(settings.amqp_url, topology.DEAD_LETTER_QUEUE)
    assert dead[0].properties.headers["x-bamsos-reason"] == "wrong_sender"
    acknowledgement, reply = drain(as_user[access.CONNECTOR], topology.REPLIES_QUEUE)
    assert (
        acknowledgement.routing_key == "notice.instagram" and acknowledgement.json()["kind"] == "acknowledged"
    )
    assert reply.json()["text"] == f"Ya\n\nNomor tiket: {reply.json()['ticket']}"
