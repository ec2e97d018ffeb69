"""What a service declares and what its handlers see: the types between the SOP and the loop.

A service is one `ServiceSpec`: the schemas it takes (`Route`s, each with the bindings that bring
it to the service's queue), the exchanges it publishes to, how it builds the context its handlers
get, and its periodic work and scrape-time metrics. The topology, the broker permissions, the list
of services, the metrics ports and the dashboard's queue list are all read from the specs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector
from pydantic import BaseModel
from sqlalchemy.engine import Connection, Engine

from shared.runtime import topology
from shared.runtime.worker.writes import Writes

if TYPE_CHECKING:
    from shared.runtime.settings import Settings

M = TypeVar("M", bound=BaseModel)
C = TypeVar("C", bound="HandlerContext")


def to_json(message: BaseModel) -> bytes:
    """A message's body on the wire: its JSON, with field aliases (`schema`)."""
    return message.model_dump_json(by_alias=True).encode()


@dataclass(frozen=True)
class Outgoing:
    """A message to publish after the commit."""

    exchange: str
    routing_key: str
    message: BaseModel
    message_id: str


class HandlerContext(Protocol):
    """What the loop needs of the context a service hands its handlers: the open transaction, the
    writes deferred to the end of the batch (`writes`), and work to run only once it has committed
    (metric updates, say)."""

    @property
    def db(self) -> Connection: ...

    @property
    def after_commit(self) -> list[Callable[[], None]]: ...

    @property
    def writes(self) -> Writes: ...

    # Rows read ahead for the whole batch (`Route.preload`), shared by its messages' contexts.
    preloaded: dict[Any, Any]


# Builds a handler's context for one message: the open transaction, and the AMQP user_id that
# published the message (checked by RabbitMQ against the publisher's connection), if any.
ContextFactory = Callable[[Connection, "str | None"], C]


@dataclass(frozen=True)
class Route(Generic[M, C]):
    """How a service handles one message schema.

    `consumes` are the (exchange, routing key) bindings that bring the schema to the service's
    queue; `key` gives the de-duplication key (from the message and its AMQP message_id); `wants`
    lets a service pass over a message that another service bound to the same key owns; `preload`
    does ahead, in one statement for all the batch's messages of this schema, what their handlers
    would each do first (a read, or a guarded claim), leaving the rows in the batch's
    `ctx.preloaded`, where the handlers look first (anything missing there they do themselves).
    """

    model: type[M]
    handle: Callable[[M, C], list[Outgoing]]
    key: Callable[[M, str | None], str]
    consumes: tuple[tuple[str, str], ...]
    wants: Callable[[M], bool] = lambda _message: True
    preload: Callable[[list[M], C], None] | None = None


@dataclass(frozen=True)
class ServiceSpec(Generic[C]):
    """One service, declared once."""

    name: str
    routes: dict[str, Route[Any, C]]
    # How the service builds its handlers' context, once at start: from the settings, with its
    # metrics registered on the worker's registry.
    context: Callable[[Settings, CollectorRegistry], ContextFactory[C]]
    # Exchanges its handlers publish to (dead letters go to bamsos.dead from every service).
    publishes: tuple[str, ...] = ()
    # Where it may use only some routing keys of an exchange: (exchange, regex of the keys), for
    # its broker user's topic permission (intake sends notices on bamsos.outbound, never replies).
    publishes_only: tuple[str, str] | None = None
    # Where its /metrics is served unless BAMSOS_METRICS_PORTS says otherwise (0: not served).
    metrics_port: int = 0
    # Periodic work (e.g. scanning due times), run between batches in its own transaction.
    tick: Callable[[C], list[Outgoing]] | None = None
    # Metrics read at scrape time (one service owns each, so replicas of the others don't
    # double-count), built at start and registered by the runner.
    collectors: tuple[Callable[[Engine, Settings], Collector], ...] = ()

    @property
    def queue(self) -> str:
        return topology.service_queue(self.name)

    @property
    def bindings(self) -> tuple[tuple[str, str], ...]:
        """What feeds the service's queue: every route's bindings, each once."""
        return tuple(dict.fromkeys(b for route in self.routes.values() for b in route.consumes))
