"""The message contract: what the models accept and refuse, and the published documents."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from services.generators.contract_docs import CONTRACT_DIR, render_all, schema_file
from shared.sop.contracts import ALL_MESSAGES, Inquiry, TaskResult
from tests.helpers import INQUIRY


def test_an_inquiry_as_the_brief_writes_it_is_accepted() -> None:
    inquiry = Inquiry.model_validate(INQUIRY)
    assert inquiry.channel.value == "instagram"
    assert json.loads(inquiry.model_dump_json(by_alias=True))["schema"] == "bamsos.inquiry/1"


def test_an_inquiry_without_topic_and_service_is_accepted_for_classification() -> None:
    inquiry = Inquiry.model_validate({**INQUIRY, "topic": None, "service": None})
    assert inquiry.topic is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("channel", "myspace"),
        ("sent_at", "2026-11-24T08:15:00"),  # no offset
        ("sent_at", "yesterday"),
        ("text", ""),
        ("text", "x" * 4001),
        ("topic", "gossip"),
        ("schema", "bamsos.inquiry/2"),
    ],
)
def test_an_inquiry_with_a_bad_field_is_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError):
        Inquiry.model_validate({**INQUIRY, field: value})


def test_unknown_fields_are_refused_not_dropped() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Inquiry.model_validate({**INQUIRY, "nik": "1471010101010001"})


def test_messages_are_immutable() -> None:
    inquiry = Inquiry.model_validate(INQUIRY)
    with pytest.raises(ValidationError):
        inquiry.text = "changed"  # type: ignore[misc]


def test_the_committed_contract_documents_match_the_models() -> None:
    for path, text in render_all().items():
        assert path.exists(), f"{path} is missing: run `bamsos contract`"
        assert path.read_text(encoding="utf-8") == text, f"{path} drifted: run `bamsos contract`"


def test_the_json_schema_accepts_what_the_model_accepts_and_refuses_what_it_refuses() -> None:
    schema = json.loads((CONTRACT_DIR / "schemas" / schema_file(Inquiry)).read_text())
    jsonschema.Draft202012Validator(schema).validate(INQUIRY)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({**INQUIRY, "channel": "myspace"})
    result = json.loads((CONTRACT_DIR / "schemas" / schema_file(TaskResult)).read_text())
    jsonschema.Draft202012Validator(result).validate(
        {
            "schema": "bamsos.task-result/1",
            "task_id": "admin-1",
            "officer": "Rina",
            "outcome": "answered",
            "text": "Sudah dijawab",
            "at": "2026-11-24T01:00:00Z",
        }
    )


def test_the_asyncapi_document_names_every_message_and_its_exchange() -> None:
    doc = yaml.safe_load((CONTRACT_DIR / "asyncapi.yaml").read_text())
    assert doc["asyncapi"].startswith("3.")
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names == {m.model_fields["schema_"].default for m in ALL_MESSAGES}
    exchanges = {c["bindings"]["amqp"]["exchange"]["name"] for c in doc["channels"].values()}
    assert exchanges == {"bamsos.inbound", "bamsos.tasks", "bamsos.events", "bamsos.outbound"}
