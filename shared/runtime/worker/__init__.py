"""The worker loop every service runs, split by job:

- `spec`: what a service declares (`ServiceSpec`, `Route`) and what its handlers return (`Outgoing`);
- `decoding`: from a delivery's bytes to a validated message, or a `Rejected` with its reason;
- `ledger`: claims, the outbox and advisory locks in PostgreSQL;
- `batch`: one batch's database transaction (a fast pass, and a careful one per message);
- `amqp`: the connection, publishing, dead letters;
- `loop`: `Worker`, which composes them: consume, handle, commit, publish, ack, reconnect;
- `harness`: one route on one message, without a broker, for tests.
"""

from shared.runtime.worker.amqp import message_properties
from shared.runtime.worker.loop import Worker
from shared.runtime.worker.spec import ContextFactory, HandlerContext, Outgoing, Route, ServiceSpec, to_json

__all__ = [
    "ContextFactory",
    "HandlerContext",
    "Outgoing",
    "Route",
    "ServiceSpec",
    "Worker",
    "message_properties",
    "to_json",
]
