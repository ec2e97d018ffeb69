"""The worker loop every service runs, split by job:

- `spec`: what a service declares (`ServiceSpec`, `Route`) and what its handlers return (`Outgoing`);
- `decoding`: from a delivery's bytes to a validated message, or a `Rejected` with its reason;
- `ledger`: claims, the outbox and advisory locks in PostgreSQL;
- `batch`: one batch's database transaction (a fast pass, and a careful one per message);
- `amqp`: the connection, publishing, dead letters;
- `loop`: `Worker`, which composes them: consume, handle, commit, publish, ack, reconnect;
- `writes`: the rows handlers write, deferred to the end of the batch and written per table;
- `harness`: one route on one message, without a broker, for tests.
"""

from shared.runtime.worker.amqp import message_properties
from shared.runtime.worker.loop import Worker
from shared.runtime.worker.spec import ContextFactory, HandlerContext, Outgoing, Route, ServiceSpec, to_json
from shared.runtime.worker.writes import Upsert, Writes

__all__ = [
    "ContextFactory",
    "HandlerContext",
    "Outgoing",
    "Route",
    "ServiceSpec",
    "Upsert",
    "Worker",
    "Writes",
    "message_properties",
    "to_json",
]
