"""Renders the contract for integrators: JSON Schema per message and one AsyncAPI 3.0 document.

Generated from `shared/contracts.py` by `bamsos contract`; committed under docs/contract/, and a
test fails when they drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from services.generators import DOCS_URL, REPO_ROOT
from shared.runtime import topology
from shared.sop.contracts import (
    ALL_MESSAGES,
    CaseHandover,
    CaseReplied,
    CaseRerouted,
    CaseResolved,
    Channel,
    CitizenNotice,
    Inquiry,
    InquiryRegistered,
    Message,
    Receipt,
    Reply,
    Task,
    TaskResult,
    schema_name,
)

CONTRACT_DIR = REPO_ROOT / "docs" / "contract"


def schema_file(model: type[Message]) -> str:
    """`bamsos.task-result/1` -> `task-result.v1.json`."""
    name, version = schema_name(model).removeprefix("bamsos.").split("/")
    return f"{name}.v{version}.json"


def json_schema(model: type[Message]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{DOCS_URL}contract/{schema_file(model)}"
    return schema


def _amqp(exchange: str, routing_key: str) -> dict[str, Any]:
    return {
        "amqp": {
            "is": "routingKey",
            "exchange": {"name": exchange, "type": "topic", "durable": True, "autoDelete": False},
        }
    }


# (channel id, exchange, address, message, our action, description)
_CHANNELS: list[tuple[str, str, str, type[Message], str, str]] = [
    (
        "inquiry",
        topology.INBOUND,
        "inquiry.{channel}",
        Inquiry,
        "receive",
        "A citizen's message from the chat connector. De-duplicated on (channel, id).",
    ),
    (
        "receipt",
        topology.INBOUND,
        "receipt.{channel}",
        Receipt,
        "receive",
        "Optional delivery receipt of a reply; closes SOP step 8.",
    ),
    (
        "task",
        topology.TASKS,
        "{unit}",
        Task,
        "send",
        "Work for a unit: admin, editor, pickup, kadis, kasi.<seksi>, kabid.<bidang>. Each unit "
        "reads its own queue bamsos.tasks.<unit>, oldest first.",
    ),
    (
        "taskResult",
        topology.EVENTS,
        topology.TASK_RESULT,
        TaskResult,
        "receive",
        "What an officer did with a task, from staff tools. De-duplicated on task_id.",
    ),
    (
        "reply",
        topology.OUTBOUND,
        "reply.{channel}",
        Reply,
        "send",
        "The answer to the citizen: exactly one per inquiry. Queue bamsos.replies holds them "
        "for the connector.",
    ),
    (
        "citizenNotice",
        topology.OUTBOUND,
        "notice.{channel}",
        CitizenNotice,
        "send",
        "A message to a citizen that is not the SOP's answer: the acknowledgement with the ticket, "
        "a status asked by chat, the satisfaction survey and its thanks. bamsos.replies holds them "
        "too, for the connector.",
    ),
    (
        "inquiryRegistered",
        topology.EVENTS,
        topology.REGISTERED,
        InquiryRegistered,
        "send",
        "Internal: intake registered an inquiry.",
    ),
    (
        "caseHandover",
        topology.EVENTS,
        "case.handover.{role}",
        CaseHandover,
        "send",
        "Internal: the router hands a case to a bridge (editor, pickup).",
    ),
    (
        "caseResult",
        topology.EVENTS,
        "case.result.{role}",
        TaskResult,
        "send",
        "Internal: the router passes a result for a bridge's unit on to that bridge, unchanged.",
    ),
    (
        "caseResolved",
        topology.EVENTS,
        topology.CASE_RESOLVED,
        CaseResolved,
        "send",
        "Internal: a bridge's unit finished; the router replies.",
    ),
    (
        "caseRerouted",
        topology.EVENTS,
        topology.CASE_REROUTED,
        CaseRerouted,
        "send",
        "Internal: a bridge's unit sent its case back (the pickup desk: the document is not yet "
        "issued, step 7 -> 6); the router hands it to the section head.",
    ),
    (
        "caseReplied",
        topology.EVENTS,
        topology.CASE_REPLIED,
        CaseReplied,
        "send",
        "Internal: a reply went out; the reporter counts it.",
    ),
]


def asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for cid, exchange, address, model, action, description in _CHANNELS:
        name = model.__name__
        messages[name] = {
            "name": schema_name(model),
            "title": name,
            "summary": (model.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "payload": {"$ref": f"./schemas/{schema_file(model)}"},
            "bindings": {"amqp": {"deliveryMode": 2}},
        }
        channel: dict[str, Any] = {
            "address": address,
            "description": f"Exchange `{exchange}`. {description}",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": _amqp(exchange, address),
        }
        if "{channel}" in address:
            channel["parameters"] = {"channel": {"enum": [c.value for c in Channel]}}
        elif "{unit}" in address:
            channel["parameters"] = {
                "unit": {"description": "admin, editor, pickup, kadis, kasi.<seksi> or kabid.<bidang>"}
            }
        elif "{role}" in address:
            channel["parameters"] = {"role": {"enum": ["editor", "pickup"]}}
        channels[cid] = channel
        operations[f"{action}{cid[0].upper()}{cid[1:]}"] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{cid}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "BAMSOS pipeline",
            "version": "1.0.0",
            "description": (
                "Messages of the BAMSOS back office (SOP 060/Dukcapil-PDIP/702/2020). Every body "
                "is UTF-8 JSON with a `schema` field; everything the pipeline publishes is "
                "persistent with an AMQP message_id. Whatever can't be processed goes to exchange "
                f"`{topology.DEAD}` (queue `{topology.DEAD_LETTER_QUEUE}`) with headers "
                "`x-bamsos-reason` and `x-bamsos-detail`."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render_all() -> dict[Path, str]:
    """Every contract document, path -> text."""
    out = {
        CONTRACT_DIR / "schemas" / schema_file(m): json.dumps(json_schema(m), indent=2) + "\n"
        for m in ALL_MESSAGES
    }
    out[CONTRACT_DIR / "asyncapi.yaml"] = yaml.safe_dump(
        asyncapi(), sort_keys=False, allow_unicode=True, width=100
    )
    return out
