"""The console's pages as plain functions: called with a request made here, no HTTP server or
client between, they refuse what their guards refuse and answer what an officer would see."""

from __future__ import annotations

import threading
import time
from typing import Any

import pika
import pytest
from starlette.requests import Request

from services.console import case, errors, heads, queue
from services.console.app import create_app
from services.console.guards import BadForm, Denied, LoginNeeded, Missing
from services.console.state import Console
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.staff.officers import find_officer
from tests.integration.services.console.conftest import inquire

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


def request(console: Console, path: str, user: str | None = None, **path_params: str) -> Request:
    """A GET of `path` as `user` (logged in), with the app that serves `console`."""
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "server": ("testserver", 80),
            "path": path,
            "path_params": path_params,
            "query_string": b"",
            "headers": [],
            "client": ("127.0.0.1", 50000),
            "session": {"u": user} if user else {},
            "app": create_app(console),
        }
    )


async def test_an_officer_sees_their_own_units_queue(console: Console) -> None:
    page: Any = await queue.queue_page(request(console, "/antrean/admin", "rina", unit="admin"))
    assert page.status_code == 200
    assert "Menunggu: 0 kasus" in page.body.decode()


async def test_another_units_queue_is_denied_and_nobody_logged_in_goes_to_the_login(console: Console) -> None:
    with pytest.raises(Denied, match="bukan unit Anda"):
        await queue.queue_page(request(console, "/antrean/admin", "hendra", unit="admin"))
    with pytest.raises(LoginNeeded):
        await queue.queue_page(request(console, "/antrean/admin", unit="admin"))


async def test_the_live_queue_refuses_plainly(console: Console) -> None:
    other = await queue.queue_live(request(console, "/antrean/admin/live", "hendra", unit="admin"))
    nobody = await queue.queue_live(request(console, "/antrean/admin/live", unit="admin"))
    assert (other.status_code, nobody.status_code) == (403, 401)
    assert console.metrics.denied.labels("forbidden")._value.get() == 1


async def test_heads_pages_are_for_heads_only(console: Console) -> None:
    with pytest.raises(Denied, match="kepala seksi"):
        await heads.notices_page(request(console, "/peringatan", "rina"))
    page: Any = await heads.notices_page(request(console, "/peringatan", "budi"))
    assert page.status_code == 200


async def test_an_unknown_task_is_missing(console: Console) -> None:
    with pytest.raises(Missing, match="tidak ditemukan"):
        await case.case_view(request(console, "/kasus/admin-x", "rina", task_id="admin-x"))


async def test_one_403_page_for_another_units_page_and_for_a_form_without_its_token(console: Console) -> None:
    denied: Any = await errors.forbidden(request(console, "/antrean/admin", "hendra"), Denied("Antrean x."))
    bad: Any = await errors.forbidden(request(console, "/keluar", "hendra"), BadForm())
    assert (denied.status_code, bad.status_code) == (403, 403)
    assert "Akses ditolak" in denied.body.decode() and "Antrean x." in denied.body.decode()
    assert "Formulir ditolak" in bad.body.decode()
    assert console.metrics.denied.labels("forbidden")._value.get() == 1
    assert console.metrics.denied.labels("csrf")._value.get() == 1


@pytest.mark.usefixtures("pipeline")
def test_a_case_the_list_shows_can_be_taken_before_its_task_reaches_the_queue(
    settings: Settings, console: Console
) -> None:
    arrived = inquire(settings, topic="informasi")
    # The moment between the router's commit and its publish: the card shows the case waiting,
    # the queue does not hold it yet.
    connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_url))
    channel = connection.channel()
    method, properties, body = channel.basic_get(topology.TASK_QUEUE_PREFIX + "admin", auto_ack=True)
    connection.close()
    assert method is not None
    assert queue.waiting_on_card(console, "admin")

    def publish_late() -> None:
        time.sleep(1.0)  # the router's publish, late: what is tested is that the take waits for it
        late = pika.BlockingConnection(pika.URLParameters(settings.amqp_url))
        late.channel().basic_publish(topology.TASKS, "admin", body, properties)
        late.close()

    publisher = threading.Thread(target=publish_late)
    publisher.start()
    officer = find_officer(console.engine, "rina")
    assert officer is not None
    taken, _notices = queue.take(console, "admin", officer)
    publisher.join(10)
    assert taken is not None and taken.task_id == arrived.task_id
    assert taken.officer == "Rina Admin"
