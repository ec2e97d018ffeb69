"""The broker topology follows from the service specs and the org chart: each service's queue is bound
to what its routes consume, one queue per staff unit, the connector's replies queue; and every
message the pipeline publishes reaches a queue that is declared."""

from __future__ import annotations

import pytest

from services import catalog
from shared.runtime import topology
from shared.sop.contracts import Channel, Role, Service, Topic
from shared.sop.orgchart import OrgChart
from shared.sop.rules import BRIDGED_ROLES, first_assignment, notice_for

EVENTS, INBOUND, TASKS, OUTBOUND = topology.EVENTS, topology.INBOUND, topology.TASKS, topology.OUTBOUND


def matches(pattern: str, key: str) -> bool:
    """A topic exchange's match of a routing key against a binding ('*' stands for one word)."""
    wanted, words = pattern.split("."), key.split(".")
    return len(wanted) == len(words) and all(w in ("*", k) for w, k in zip(wanted, words, strict=True))


def bound(queue: topology.Queue, exchange: str, key: str) -> bool:
    return any(ex == exchange and matches(pattern, key) for ex, pattern in queue.bindings)


def queues_for(chart: OrgChart, exchange: str, key: str) -> list[str]:
    return [q.name for q in catalog.all_queues(chart) if bound(q, exchange, key)]


SERVICE_BINDINGS = {
    "bamsos.intake": {(INBOUND, "inquiry.*")},
    "bamsos.router": {
        (EVENTS, "inquiry.registered"),
        (EVENTS, "task.result"),
        (EVENTS, "case.resolved"),
        (EVENTS, "case.rerouted"),
        (INBOUND, "receipt.*"),
    },
    "bamsos.editor_bridge": {(EVENTS, "case.handover.editor"), (EVENTS, "case.result.editor")},
    "bamsos.pickup_bridge": {(EVENTS, "case.handover.pickup"), (EVENTS, "case.result.pickup")},
    "bamsos.reporter": {(EVENTS, "inquiry.registered"), (EVENTS, "case.replied")},
}


def test_each_services_queue_is_bound_to_exactly_what_its_routes_consume() -> None:
    queues = {q.name: set(q.bindings) for q in catalog.service_queues()}
    assert not any("#" in key for bindings in queues.values() for _, key in bindings), "see matches()"
    assert queues == SERVICE_BINDINGS
    for spec in catalog.specs():
        consumed = {b for route in spec.routes.values() for b in route.consumes}
        assert queues[spec.queue] == consumed, spec.name
        assert len(spec.bindings) == len(consumed), f"{spec.name}: a binding listed twice"


def test_each_service_consumes_from_its_own_queue_named_after_it() -> None:
    assert [s.queue for s in catalog.specs()] == [f"bamsos.{name}" for name in catalog.NAMES]


def test_only_the_router_takes_task_results_and_no_obsolete_binding_comes_back(chart: OrgChart) -> None:
    assert queues_for(chart, EVENTS, topology.TASK_RESULT) == ["bamsos.router"]
    declared = {(q.name, ex, key) for q in catalog.all_queues(chart) for ex, key in q.bindings}
    assert declared.isdisjoint(topology.OBSOLETE_BINDINGS)


def test_there_is_one_task_queue_per_unit_of_the_org_chart(chart: OrgChart) -> None:
    units = [q for q in catalog.all_queues(chart) if q.name.startswith(topology.TASK_QUEUE_PREFIX)]
    assert [q.name for q in units] == [f"bamsos.tasks.{key}" for key in chart.unit_keys()]
    assert all(q.bindings == ((TASKS, q.name.removeprefix("bamsos.tasks.")),) for q in units)
    assert {"admin", "editor", "pickup", "kadis"} <= set(chart.unit_keys())
    assert {f"kasi.{s}" for s in chart.seksi} | {f"kabid.{b}" for b in chart.bidang} <= set(chart.unit_keys())


def test_every_queue_is_declared_once_services_then_units_then_the_replies(chart: OrgChart) -> None:
    names = [q.name for q in catalog.all_queues(chart)]
    assert len(names) == len(set(names)) == len(catalog.NAMES) + len(chart.unit_keys()) + 1
    assert names[: len(catalog.NAMES)] == [f"bamsos.{n}" for n in catalog.NAMES]
    assert names[-1] == topology.REPLIES_QUEUE == "bamsos.replies"
    assert topology.DEAD_LETTER_QUEUE not in names, "declared on its own, bound to bamsos.dead"


@pytest.mark.parametrize("channel", list(Channel))
def test_every_channels_inquiries_receipts_and_replies_reach_their_one_queue(
    chart: OrgChart, channel: Channel
) -> None:
    assert queues_for(chart, INBOUND, f"inquiry.{channel.value}") == ["bamsos.intake"]
    assert queues_for(chart, INBOUND, f"receipt.{channel.value}") == ["bamsos.router"]
    assert queues_for(chart, OUTBOUND, f"reply.{channel.value}") == ["bamsos.replies"]


def test_every_internal_event_reaches_the_services_that_handle_it(chart: OrgChart) -> None:
    assert queues_for(chart, EVENTS, topology.REGISTERED) == ["bamsos.router", "bamsos.reporter"]
    assert queues_for(chart, EVENTS, topology.CASE_RESOLVED) == ["bamsos.router"]
    assert queues_for(chart, EVENTS, topology.CASE_REROUTED) == ["bamsos.router"]
    assert queues_for(chart, EVENTS, topology.CASE_REPLIED) == ["bamsos.reporter"]
    for role in BRIDGED_ROLES:
        bridge = f"bamsos.{role.value}_bridge"
        assert queues_for(chart, EVENTS, topology.handover_key(role.value)) == [bridge]
        assert queues_for(chart, EVENTS, topology.result_key(role.value)) == [bridge]


def test_every_first_task_and_every_breach_notice_lands_on_a_declared_unit_queue(chart: OrgChart) -> None:
    def lands(key: str) -> bool:
        return queues_for(chart, TASKS, key) == [topology.TASK_QUEUE_PREFIX + key]

    for service in Service:
        for topic in [*Topic, None]:
            first = first_assignment(topic, service, chart)
            assert lands(first.queue_key), (topic, service)
        for holder in Role:
            ladder = [notice_for(3, holder, n, service=service, seksi=None, chart=chart) for n in range(1, 5)]
            assert all(lands(n.queue_key) for n in ladder if n is not None), (holder, service)


def test_quorum_queues_dead_letter_a_poison_message_after_20_deliveries() -> None:
    quorum = topology.queue_arguments("quorum")
    assert quorum == {
        "x-dead-letter-exchange": "bamsos.dead",
        "x-queue-type": "quorum",
        "x-delivery-limit": 20,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }
    assert topology.queue_arguments("quorum", delivery_limit=3)["x-delivery-limit"] == 3


def test_classic_queues_dead_letter_to_bamsos_dead_without_a_delivery_limit() -> None:
    assert topology.queue_arguments("classic") == {
        "x-dead-letter-exchange": "bamsos.dead",
        "x-queue-type": "classic",
    }


def test_a_units_broker_user_is_named_after_its_queue() -> None:
    assert topology.unit_user("kasi.identitas_penduduk") == "staff.kasi.identitas_penduduk"
    assert topology.unit_user("admin") == "staff.admin"
