"""The RabbitMQ topology: exchanges, queues and bindings, declared by `bamsos setup`.

Every exchange and queue is durable. Every queue dead-letters to `bamsos.dead`, whose one queue
`bamsos.dead.letters` keeps whatever could not be processed, with the reason in its headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INBOUND = "bamsos.inbound"
TASKS = "bamsos.tasks"
EVENTS = "bamsos.events"
OUTBOUND = "bamsos.outbound"
DEAD = "bamsos.dead"

DEAD_LETTER_QUEUE = "bamsos.dead.letters"
REPLIES_QUEUE = "bamsos.replies"  # where the chat connector takes the replies from
TASK_QUEUE_PREFIX = "bamsos.tasks."

# Routing keys on bamsos.events.
REGISTERED = "inquiry.registered"
TASK_RESULT = "task.result"
CASE_RESOLVED = "case.resolved"
CASE_REPLIED = "case.replied"
CASE_REROUTED = "case.rerouted"  # a bridge's unit sent its case back (step 7 -> 6)


def handover_key(role: str) -> str:
    return f"case.handover.{role}"


def result_key(role: str) -> str:
    """Where the router passes on a result for a bridge's unit (only the router takes task.result)."""
    return f"case.result.{role}"


def service_queue(service: str) -> str:
    return f"bamsos.{service}"


@dataclass(frozen=True)
class Queue:
    name: str
    bindings: tuple[tuple[str, str], ...] = field(default=())  # (exchange, routing key)


# Bindings earlier versions made, removed by `setup` (unbinding a missing binding is harmless).
OBSOLETE_BINDINGS: tuple[tuple[str, str, str], ...] = (
    (service_queue("editor_bridge"), EVENTS, TASK_RESULT),
    (service_queue("pickup_bridge"), EVENTS, TASK_RESULT),
)


def unit_queues(unit_keys: list[str]) -> list[Queue]:
    """One queue per staff unit (`bamsos.tasks.<key>`), fed by its routing key on bamsos.tasks."""
    return [Queue(TASK_QUEUE_PREFIX + key, ((TASKS, key),)) for key in unit_keys]


# The staff console's broker user. The console logs each officer in and lets them act only on their
# own units, so a result it publishes counts for any unit (the terminal's results come from each
# unit's own user instead).
CONSOLE_USER = "console"


def unit_user(queue_key: str) -> str:
    """The RabbitMQ user of the unit whose queue is `bamsos.tasks.<queue_key>`."""
    return f"staff.{queue_key}"


# The connector's queue: the answers, and the citizen notices (acknowledgement, status, survey).
REPLIES = Queue(REPLIES_QUEUE, ((OUTBOUND, "reply.*"), (OUTBOUND, "notice.#")))


# Deliveries of one message a quorum queue allows before it dead-letters the message (a poison
# message that crashes its consumer would otherwise come back forever). BAMSOS_DELIVERY_LIMIT.
DELIVERY_LIMIT = 20


def queue_arguments(queue_type: str, delivery_limit: int = DELIVERY_LIMIT) -> dict[str, Any]:
    args: dict[str, Any] = {"x-dead-letter-exchange": DEAD, "x-queue-type": queue_type}
    if queue_type == "quorum":
        args["x-delivery-limit"] = delivery_limit
        # Dead-letter at least once: a letter is kept until bamsos.dead.letters has confirmed it,
        # even while that queue's leader is away (this strategy needs overflow reject-publish;
        # no queue has a length limit, so nothing is rejected for it).
        args["x-dead-letter-strategy"] = "at-least-once"
        args["x-overflow"] = "reject-publish"
    return args


def declare(
    channel: Any, queues: list[Queue], queue_type: str = "classic", delivery_limit: int = DELIVERY_LIMIT
) -> None:
    """Declare the exchanges, the dead-letter queue and `queues` on a pika channel. Idempotent."""
    for exchange in (INBOUND, TASKS, EVENTS, OUTBOUND, DEAD):
        channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    channel.queue_declare(DEAD_LETTER_QUEUE, durable=True, arguments={"x-queue-type": queue_type})
    channel.queue_bind(DEAD_LETTER_QUEUE, DEAD, routing_key="#")
    for queue in queues:
        arguments = queue_arguments(queue_type, delivery_limit)
        channel.queue_declare(queue.name, durable=True, arguments=arguments)
        for exchange, key in queue.bindings:
            channel.queue_bind(queue.name, exchange, routing_key=key)
    for queue_name, exchange, key in OBSOLETE_BINDINGS:
        channel.queue_unbind(queue_name, exchange, routing_key=key)
