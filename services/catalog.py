"""The pipeline's services, in pipeline order, and what follows from their specs.

Each service is a package `services/<name>/` whose `service.py` defines `SPEC`. Everything that
lists services (the runner, `bamsos setup`'s topology, the broker users in `deploy/`, the metrics
ports, the dashboard's queues) reads them from here.
"""

from __future__ import annotations

import importlib
from typing import Any

from shared.runtime import topology
from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings
from shared.runtime.storage import create_database, migrate
from shared.runtime.worker import ServiceSpec, amqp
from shared.sop.offices import the_office
from shared.sop.orgchart import OrgChart

NAMES: tuple[str, ...] = ("intake", "router", "editor_bridge", "pickup_bridge", "reporter")
# The chat platforms' side (services/gateway/): not a worker of the loop but a web server and a
# sender; `bamsos run gateway` and `bamsos run all` start it beside the workers.
GATEWAY = "gateway"
GATEWAY_METRICS_PORT = 9106
# The staff's web console (services/console/): a web server for officers, started beside them too.
CONSOLE = "console"
CONSOLE_METRICS_PORT = 9107
PROCESSES: tuple[str, ...] = (*NAMES, GATEWAY, CONSOLE)


def spec(name: str) -> ServiceSpec[Any]:
    if name not in NAMES:
        raise ConfigError(f"unknown service '{name}'; the services are: {', '.join(NAMES)}")
    found: ServiceSpec[Any] = importlib.import_module(f"services.{name}.service").SPEC
    return found


def specs() -> list[ServiceSpec[Any]]:
    return [spec(name) for name in NAMES]


def metrics_ports() -> dict[str, int]:
    """Each service's default /metrics port (BAMSOS_METRICS_PORTS overrides some or all)."""
    return {s.name: s.metrics_port for s in specs()} | {
        GATEWAY: GATEWAY_METRICS_PORT,
        CONSOLE: CONSOLE_METRICS_PORT,
    }


def service_queues() -> list[topology.Queue]:
    """The queue each service consumes, fed by its routes' bindings."""
    return [topology.Queue(s.queue, s.bindings) for s in specs()]


def all_queues(chart: OrgChart) -> list[topology.Queue]:
    """Every queue of the pipeline: the services', one per staff unit, and the connector's."""
    return [*service_queues(), *topology.unit_queues(chart.unit_keys()), topology.REPLIES]


def declare_topology(
    channel: Any, chart: OrgChart, queue_type: str = "classic", delivery_limit: int = topology.DELIVERY_LIMIT
) -> None:
    """Declare the whole topology on a pika channel. Idempotent."""
    topology.declare(channel, all_queues(chart), queue_type, delivery_limit)


def setup(settings: Settings) -> OrgChart:
    """`bamsos setup`: declare the broker topology and create/migrate the database. Idempotent."""
    chart = the_office(settings).chart
    connection = amqp.connect(settings.amqp_url)
    try:
        declare_topology(connection.channel(), chart, settings.queue_type, settings.delivery_limit)
    finally:
        connection.close()
    create_database(settings.database_url)
    migrate(settings.database_url)
    return chart
