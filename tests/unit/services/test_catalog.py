"""The catalog of services, in pipeline order, and what follows from their specs: the metrics ports
and the broker users, each allowed to write only to its spec's exchanges and read only its queue."""

from __future__ import annotations

import re

import pytest

from services import catalog
from services.generators import access
from shared.runtime import topology
from shared.runtime.errors import ConfigError
from shared.sop.contracts import Channel
from shared.sop.orgchart import OrgChart

EXCHANGES = (topology.INBOUND, topology.TASKS, topology.EVENTS, topology.OUTBOUND, topology.DEAD)


def allowed(regex: str, name: str) -> bool:
    """RabbitMQ matches a permission's regex anywhere in the name (hence the anchors in grants)."""
    return re.search(regex, name) is not None


def every_queue(chart: OrgChart) -> list[str]:
    return [q.name for q in catalog.all_queues(chart)] + [topology.DEAD_LETTER_QUEUE]


def grants_by_user(chart: OrgChart) -> dict[str, access.Grant]:
    return {g.user: g for g in access.grants(chart)}


def test_the_services_are_listed_in_pipeline_order() -> None:
    assert catalog.NAMES == ("intake", "router", "editor_bridge", "pickup_bridge", "reporter")
    assert [s.name for s in catalog.specs()] == list(catalog.NAMES)


def test_the_metrics_ports_default_to_9101_to_9105_in_pipeline_order_then_gateway_and_console() -> None:
    assert catalog.metrics_ports() == {
        "intake": 9101,
        "router": 9102,
        "editor_bridge": 9103,
        "pickup_bridge": 9104,
        "reporter": 9105,
        "gateway": 9106,
        "console": 9107,
    }


def test_an_unknown_service_is_refused_naming_the_services() -> None:
    with pytest.raises(ConfigError, match="intake, router, editor_bridge, pickup_bridge, reporter"):
        catalog.spec("notifier")


def test_each_service_publishes_only_where_its_work_goes() -> None:
    assert {s.name: set(s.publishes) for s in catalog.specs()} == {
        "intake": {topology.EVENTS, topology.OUTBOUND},  # the acknowledgement, a status
        "router": {topology.EVENTS, topology.TASKS, topology.OUTBOUND},
        "editor_bridge": {topology.EVENTS, topology.TASKS},
        "pickup_bridge": {topology.EVENTS, topology.TASKS},
        "reporter": set(),
    }


def test_only_the_router_has_periodic_work_the_due_time_scan() -> None:
    assert [s.name for s in catalog.specs() if s.tick is not None] == ["router"]


def test_there_is_one_broker_user_per_service_per_unit_plus_the_console_the_connector_and_the_admin(
    chart: OrgChart,
) -> None:
    users = [g.user for g in access.grants(chart)]
    expected = [
        access.ADMIN,
        *catalog.NAMES,
        *(topology.unit_user(key) for key in chart.unit_keys()),
        topology.CONSOLE_USER,
        access.CONNECTOR,
    ]
    assert users == expected
    assert len(set(users)) == len(users)


def test_each_service_writes_only_to_its_specs_exchanges_and_bamsos_dead(chart: OrgChart) -> None:
    grants = grants_by_user(chart)
    for spec in catalog.specs():
        may_write = {ex for ex in EXCHANGES if allowed(grants[spec.name].write, ex)}
        assert may_write == {*spec.publishes, topology.DEAD}, spec.name
        assert not allowed(grants[spec.name].write, "bamsos.events.extra"), "anchored at both ends"


def test_each_service_reads_only_its_own_queue(chart: OrgChart) -> None:
    grants = grants_by_user(chart)
    for spec in catalog.specs():
        assert [q for q in every_queue(chart) if allowed(grants[spec.name].read, q)] == [spec.queue]


def test_nobody_but_the_admin_may_declare_anything(chart: OrgChart) -> None:
    names = [*EXCHANGES, *every_queue(chart)]
    for grant in access.grants(chart):
        may_configure = [n for n in names if allowed(grant.configure, n)]
        if grant.user == access.ADMIN:
            assert (may_configure, grant.tags) == (names, ("administrator",))
        else:
            assert (may_configure, grant.configure, grant.tags) == ([], access.NOTHING, ()), grant.user


def test_a_unit_reads_only_its_own_task_queue_and_publishes_only_task_results(chart: OrgChart) -> None:
    grants = grants_by_user(chart)
    for key in chart.unit_keys():
        grant = grants[topology.unit_user(key)]
        assert [q for q in every_queue(chart) if allowed(grant.read, q)] == [topology.TASK_QUEUE_PREFIX + key]
        assert [ex for ex in EXCHANGES if allowed(grant.write, ex)] == [topology.EVENTS]
        assert grant.topic_exchange == topology.EVENTS
        assert allowed(grant.topic_write, topology.TASK_RESULT)
        for other in (topology.REGISTERED, topology.CASE_RESOLVED, topology.CASE_REPLIED, "task.result.x"):
            assert not allowed(grant.topic_write, other), (key, other)


def test_the_connector_sends_inquiries_and_receipts_and_reads_only_the_replies(chart: OrgChart) -> None:
    grant = grants_by_user(chart)[access.CONNECTOR]
    # And dead-letters a reply a platform refuses for good (the gateway is the connector).
    assert [ex for ex in EXCHANGES if allowed(grant.write, ex)] == [topology.INBOUND, topology.DEAD]
    assert [q for q in every_queue(chart) if allowed(grant.read, q)] == [topology.REPLIES_QUEUE]
    assert grant.topic_exchange == topology.INBOUND
    for channel in Channel:
        assert allowed(grant.topic_write, f"inquiry.{channel.value}")
        assert allowed(grant.topic_write, f"receipt.{channel.value}")
    assert not allowed(grant.topic_write, "reply.instagram")
    assert not allowed(grant.topic_write, "inquiry.instagram.extra")


def test_the_console_takes_from_every_unit_queue_and_sends_only_task_results(chart: OrgChart) -> None:
    grant = grants_by_user(chart)[topology.CONSOLE_USER]
    assert [ex for ex in EXCHANGES if allowed(grant.write, ex)] == [topology.EVENTS]
    assert [q for q in every_queue(chart) if allowed(grant.read, q)] == [
        topology.TASK_QUEUE_PREFIX + key for key in chart.unit_keys()
    ]
    assert grant.topic_exchange == topology.EVENTS
    assert allowed(grant.topic_write, topology.TASK_RESULT)
    assert not allowed(grant.topic_write, topology.REGISTERED)
