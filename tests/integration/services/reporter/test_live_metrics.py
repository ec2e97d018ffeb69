"""The scrape-time gauges show what waits right now: open steps, the late ones, the oldest, the queues."""

from __future__ import annotations

import json

import pytest
from prometheus_client import CollectorRegistry

from services.reporter.live_metrics import OpenStepsCollector, QueueCollector
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import make_engine
from shared.sop.office_calendar import make_clock
from shared.sop.orgchart import OrgChart
from tests.helpers import INQUIRY, InProcess, publish, wait_for

pytestmark = pytest.mark.integration


def test_cases_nobody_takes_show_as_open_then_overdue_and_wait_in_the_admin_queue(
    settings: Settings, chart: OrgChart
) -> None:
    # x600: the 5-minute standard of step 3 passes in half a second.
    settings = settings.model_copy(update={"time_scale": 600.0})
    registry = CollectorRegistry()
    registry.register(OpenStepsCollector(make_engine(settings.database_url), make_clock(settings)))
    registry.register(QueueCollector(settings.amqp_url, chart))

    def gauge(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    admin = {"step": "3", "role": "admin"}
    assert gauge("bamsos_open_steps", **admin) == 0, "every SOP step shows, at zero when idle"
    assert gauge("bamsos_open_steps", step="8", role="pemohon") == 0
    with InProcess("intake", settings), InProcess("router", settings):
        for n in range(3):
            body = json.dumps({**INQUIRY, "id": f"ig-{n}"}).encode()
            publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", body)
        wait_for(lambda: gauge("bamsos_open_steps", **admin) == 3, what="three open admin steps")
        wait_for(lambda: gauge("bamsos_open_steps_overdue", **admin) == 3, what="all three late")
        assert (gauge("bamsos_oldest_open_step_age_seconds", **admin) or 0) > 300
        assert gauge("bamsos_queue_messages", queue="bamsos.tasks.admin") == 3
        assert gauge("bamsos_queue_consumers", queue="bamsos.intake") == 1
    assert gauge("bamsos_open_steps", step="2", role="admin") == 0, "registration is done at once"
    assert gauge("bamsos_queue_messages", queue=topology.DEAD_LETTER_QUEUE) == 0
