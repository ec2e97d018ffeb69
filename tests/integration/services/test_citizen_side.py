"""The citizen's side on the real broker and database: intake and the router on threads, staff through
`shared/staff/actions`, and the chat connector played by the test, reading `bamsos.replies`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine
from shared.runtime.worker import to_json
from shared.sop.contracts import Outcome, Receipt
from shared.sop.office_calendar import office_zone
from shared.sop.orgchart import OrgChart
from shared.sop.rules import STEP_NAMES
from shared.staff.actions import send_result, take_next
from tests.helpers import INQUIRY, InProcess, drain, publish, ready_count, wait_for

pytestmark = pytest.mark.integration

ACCOUNT = str(INQUIRY["account"])
OFFICER = "Budi Santoso"
ANSWER = "Syarat KIA: akta kelahiran dan KK asli."


class Connector:
    """The chat connector: takes what BAMSOS sends citizens off `bamsos.replies` and keeps it."""

    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self.sent: list[dict[str, Any]] = []

    def take(self) -> list[dict[str, Any]]:
        self.sent += [got.json() for got in drain(self.amqp_url, topology.REPLIES_QUEUE)]
        return self.sent

    def notices(self, kind: str, account: str = ACCOUNT) -> list[dict[str, Any]]:
        return [
            m
            for m in self.take()
            if m["schema"] == "bamsos.citizen-notice/1" and m["kind"] == kind and m["account"] == account
        ]

    def notice(self, kind: str, account: str = ACCOUNT, number: int = 1) -> dict[str, Any]:
        """The `number`th notice of `kind` to `account`, once it has come."""
        wait_for(lambda: len(self.notices(kind, account)) >= number, what=f"a '{kind}' notice")
        return self.notices(kind, account)[number - 1]

    def reply(self) -> dict[str, Any]:
        wait_for(lambda: any(m["schema"] == "bamsos.reply/1" for m in self.take()), what="the reply")
        [reply] = [m for m in self.sent if m["schema"] == "bamsos.reply/1"]
        return reply

    def confirm_delivery(self, reply: dict[str, Any]) -> None:
        receipt = Receipt(reply_id=reply["reply_id"], delivered_at=datetime.now(UTC))
        publish(self.amqp_url, topology.INBOUND, f"receipt.{reply['channel']}", to_json(receipt))


def citizen_sends(settings: Settings, text: str, message_id: str | None = None, **fields: object) -> str:
    """A citizen's chat message, published by the connector; its upstream id."""
    upstream_id = str(fields.pop("id", uuid.uuid4().hex))
    body = json.dumps({**INQUIRY, "id": upstream_id, "text": text, **fields}).encode()
    channel = str(fields.get("channel", INQUIRY["channel"]))
    publish(settings.amqp_url, topology.INBOUND, f"inquiry.{channel}", body, message_id=message_id)
    return upstream_id


def settled(settings: Settings, connector: Connector) -> None:
    """Intake has handled everything published so far: a marker sent last has been answered
    (intake takes its queue in order)."""
    marker = f"@penanda-{uuid.uuid4().hex[:8]}"
    citizen_sends(settings, "cek status BMS-000101-0001", account=marker)
    connector.notice("unknown_ticket", account=marker)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connector(settings: Settings) -> Connector:
    return Connector(settings.amqp_url)


def count(engine: Engine, table: sa.Table) -> int:
    with engine.connect() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def case(engine: Engine, ticket: str) -> sa.Row[Any]:
    with engine.connect() as db:
        return db.execute(sa.select(inquiries).where(inquiries.c.ticket == ticket)).one()


def officer_answers(settings: Settings, engine: Engine, chart: OrgChart) -> None:
    """The admin takes the one case waiting and answers it."""
    wait_for(lambda: ready_count(settings.amqp_url, "bamsos.tasks.admin") == 1, what="the admin's task")
    task = take_next(engine, settings.amqp_url, "admin", OFFICER, chart)
    assert task is not None
    send_result(
        engine,
        settings.amqp_url,
        task.task_id,
        officer=OFFICER,
        outcome=Outcome.answered,
        text=ANSWER,
        now=datetime.now(UTC),
        zone=office_zone(settings),
    )


def unit_queues_waiting(settings: Settings, chart: OrgChart) -> int:
    return sum(ready_count(settings.amqp_url, topology.TASK_QUEUE_PREFIX + k) for k in chart.unit_keys())


# --- the acknowledgement ------------------------------------------------------------------------


def test_an_inquiry_published_again_is_acknowledged_once(
    settings: Settings, engine: Engine, connector: Connector
) -> None:
    with InProcess("intake", settings), InProcess("router", settings):
        citizen_sends(settings, str(INQUIRY["text"]), id="ig-2001", message_id="m-1")
        citizen_sends(settings, str(INQUIRY["text"]), id="ig-2001", message_id="m-1")  # the same again
        citizen_sends(settings, str(INQUIRY["text"]), id="ig-2001", message_id="m-2")  # a new AMQP id
        citizen_sends(settings, str(INQUIRY["text"]), id="ig-2001")  # no AMQP id at all
        settled(settings, connector)
    [acknowledgement] = connector.notices("acknowledged")
    registered = case(engine, acknowledgement["ticket"])
    assert acknowledgement["inquiry_id"] == registered.inquiry_id and registered.upstream_id == "ig-2001"
    assert f"nomor tiket {registered.ticket}" in acknowledgement["text"]
    assert count(engine, inquiries) == 1


def test_each_inquiry_gets_its_own_ticket_in_its_acknowledgement(
    settings: Settings, engine: Engine, connector: Connector
) -> None:
    with InProcess("intake", settings), InProcess("router", settings):
        for n in range(3):
            citizen_sends(settings, f"Pertanyaan ke-{n}, syarat KK apa?", account=f"@warga{n}")
        acknowledgements = [connector.notice("acknowledged", account=f"@warga{n}") for n in range(3)]
    tickets = [a["ticket"] for a in acknowledgements]
    assert len(set(tickets)) == 3
    assert all(t.startswith("BMS-") for t in tickets)


# --- status by chat -----------------------------------------------------------------------------


def test_a_status_request_is_answered_and_makes_no_task(
    settings: Settings, engine: Engine, connector: Connector, chart: OrgChart
) -> None:
    with InProcess("intake", settings), InProcess("router", settings):
        citizen_sends(settings, str(INQUIRY["text"]))
        ticket = connector.notice("acknowledged")["ticket"]
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.tasks.admin") == 1, what="the admin's task")
        assert take_next(engine, settings.amqp_url, "admin", OFFICER, chart) is not None
        card_before = count(engine, handovers)
        citizen_sends(settings, f"cek status {ticket}")
        status = connector.notice("status")
        settled(settings, connector)
        assert unit_queues_waiting(settings, chart) == 0  # no task for any unit
    assert (status["ticket"], status["inquiry_id"]) == (ticket, case(engine, ticket).inquiry_id)
    assert "sedang ditangani oleh petugas BAMSOS sejak" in status["text"]
    assert not [name for name in STEP_NAMES.values() if name in status["text"]]
    assert OFFICER not in status["text"] and "Budi" not in status["text"]
    assert (count(engine, inquiries), count(engine, handovers)) == (1, card_before)


def test_a_status_request_for_another_accounts_ticket_tells_nothing_about_the_case(
    settings: Settings, engine: Engine, connector: Connector
) -> None:
    with InProcess("intake", settings), InProcess("router", settings):
        citizen_sends(settings, str(INQUIRY["text"]))
        ticket = connector.notice("acknowledged")["ticket"]
        citizen_sends(settings, f"cek status {ticket}", account="@orang_lain")
        unknown = connector.notice("unknown_ticket", account="@orang_lain")
    assert (unknown["inquiry_id"], unknown["ticket"]) == (None, None)
    assert f"nomor tiket {ticket} tidak kami temukan untuk akun ini" in unknown["text"]
    told = [
        word
        for word in [
            *STEP_NAMES.values(),
            "petugas BAMSOS",
            str(INQUIRY["text"]),
            "Siti",
            "sitilestari",
            "WIB",
        ]
        if word in unknown["text"]
    ]
    assert told == []
    assert connector.notices("status", account="@orang_lain") == []
    assert count(engine, inquiries) == 1


# --- the answer, the survey and the rating ------------------------------------------------------


def test_the_survey_follows_the_delivered_answer_and_a_rating_is_recorded_once(
    settings: Settings, engine: Engine, connector: Connector, chart: OrgChart
) -> None:
    with InProcess("intake", settings), InProcess("router", settings):
        citizen_sends(settings, str(INQUIRY["text"]))
        ticket = connector.notice("acknowledged")["ticket"]
        officer_answers(settings, engine, chart)
        reply = connector.reply()
        assert (reply["ticket"], reply["text"]) == (ticket, f"{ANSWER}\n\nNomor tiket: {ticket}")
        assert connector.notices("survey") == []  # not before the answer is delivered
        connector.confirm_delivery(reply)
        survey = connector.notice("survey")
        assert (survey["ticket"], survey["inquiry_id"]) == (ticket, reply["inquiry_id"])

        citizen_sends(settings, "4")
        thanks = connector.notice("thanks")
        citizen_sends(settings, "3")  # a second rating
        settled(settings, connector)
    assert (thanks["ticket"], thanks["inquiry_id"]) == (ticket, reply["inquiry_id"])
    assert "4 dari 4, sangat baik" in thanks["text"]
    assert len(connector.notices("thanks")) == 1
    assert len(connector.notices("acknowledged")) == 1  # neither rating opened a case
    rated = case(engine, ticket)
    assert (rated.rating, rated.rated_at is not None, rated.survey_sent_at is not None) == (4, True, True)
    assert count(engine, inquiries) == 1


def test_a_rating_after_the_survey_window_is_a_new_question(
    settings: Settings, engine: Engine, connector: Connector, chart: OrgChart
) -> None:
    short = settings.model_copy(update={"survey_hours": 0.0003})  # about a second
    window = timedelta(hours=short.survey_hours)
    with InProcess("intake", short), InProcess("router", short):
        citizen_sends(short, str(INQUIRY["text"]))
        ticket = connector.notice("acknowledged")["ticket"]
        officer_answers(short, engine, chart)
        connector.confirm_delivery(connector.reply())
        connector.notice("survey")
        surveyed_at = case(engine, ticket).survey_sent_at
        wait_for(lambda: datetime.now(UTC) > surveyed_at + window, what="the survey window to pass")

        citizen_sends(short, "4")
        late = connector.notice("acknowledged", number=2)
    assert late["ticket"] != ticket
    assert connector.notices("thanks") == []
    assert case(engine, ticket).rating is None
    new_case = case(engine, late["ticket"])
    assert (new_case.text, new_case.inquiry_id) == ("4", late["inquiry_id"])
    assert count(engine, inquiries) == 2
