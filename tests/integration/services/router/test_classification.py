"""Inquiries without topic or service: classified and routed, or sent to the admin for triage."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine
from shared.sop.classify import Classifier, load_rules
from shared.sop.contracts import Service, Topic
from tests.helpers import INQUIRY, InProcess, drain, publish, ready_count, wait_for

CLEAR_DATA_ERROR = "Min nama ibu saya di KK salah ketik, harusnya Nurhayati bukan Nurhayani. mohon dibantu 🙏"
UNCLEAR = "halo kak, mau tanya dong"


def test_the_classifier_fills_only_what_upstream_left_out() -> None:
    classifier = Classifier(load_rules())
    assert classifier.fill(CLEAR_DATA_ERROR, None, None) == (Topic.kesalahan_data, Service.kk)
    assert classifier.fill(CLEAR_DATA_ERROR, Topic.informasi, None)[0] is Topic.informasi
    assert classifier.fill(UNCLEAR, None, None)[0] is None, "unsure: admin triage"


@pytest.mark.integration
def test_a_clear_message_is_routed_by_its_text_and_an_unclear_one_goes_to_admin_triage(
    settings: Settings,
) -> None:
    clear = {**INQUIRY, "id": "c-1", "topic": None, "service": None, "text": CLEAR_DATA_ERROR}
    unclear = {**INQUIRY, "id": "c-2", "topic": None, "service": None, "text": UNCLEAR}
    with InProcess("intake", settings), InProcess("router", settings):
        for body in (clear, unclear):
            publish(settings.amqp_url, topology.INBOUND, "inquiry.instagram", json.dumps(body).encode())
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.editor_bridge") == 1, what="to the editor")
        wait_for(lambda: ready_count(settings.amqp_url, "bamsos.tasks.admin") == 1, what="triage task")
        [triage] = drain(settings.amqp_url, "bamsos.tasks.admin")
        assert triage.json()["topic"] is None and triage.json()["step"] == 3
        # The admin reads it and routes it on as a policy question about birth certificates.
        result = {
            "schema": "bamsos.task-result/1",
            "task_id": triage.json()["task_id"],
            "officer": "Rina",
            "outcome": "escalated",
            "text": None,
            "at": "2026-11-24T01:00:00Z",
            "topic": "kebijakan",
            "service": "akta_kelahiran",
        }
        publish(settings.amqp_url, topology.EVENTS, "task.result", json.dumps(result).encode())
        wait_for(
            lambda: ready_count(settings.amqp_url, "bamsos.tasks.kasi.kelahiran_kematian") == 1,
            what="the re-routed case at the section head",
        )
    with make_engine(settings.database_url).connect() as db:
        cases = {r.upstream_id: r for r in db.execute(sa.select(inquiries))}
        card = db.execute(sa.select(handovers.c.step, handovers.c.to_role).order_by(handovers.c.id)).all()
    assert (cases["c-1"].topic, cases["c-1"].service) == ("kesalahan_data", "kk")
    assert (cases["c-2"].topic, cases["c-2"].service) == ("kebijakan", "akta_kelahiran")
    assert (3, "kasi") in [tuple(r) for r in card]
