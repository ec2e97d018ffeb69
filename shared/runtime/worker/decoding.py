"""From a delivery's bytes to a validated message, or a `Rejected` that names the fault.

The reasons are `errors.DECODE_REASONS`; a detail names the fields at fault without echoing their
values, which may be personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

import pika
from pydantic import ValidationError

from shared.runtime.errors import Rejected
from shared.runtime.worker.spec import Route


@dataclass(frozen=True)
class Delivery:
    tag: int
    properties: pika.BasicProperties
    body: bytes
    redelivered: bool = False  # handed out before and not acked (its consumer went away)


class Accepted(NamedTuple):
    """A delivery decoded for a route of this service, ready for its handler."""

    route: Route[Any, Any]
    message: Any
    key: str  # the de-duplication key
    sender: str | None  # the AMQP user_id, which RabbitMQ checked against the connection's user


def decode(body: bytes, routes: dict[str, Route[Any, Any]], max_bytes: int) -> tuple[Route[Any, Any], Any]:
    """Parse and validate a body against the schemas this service takes, or raise Rejected."""
    if len(body) > max_bytes:
        raise Rejected("too_large", f"{len(body)} bytes, the limit is {max_bytes}")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise Rejected("not_json", f"body is not UTF-8 JSON: {type(e).__name__}") from None
    if not isinstance(data, dict):
        raise Rejected("not_object", f"body is a JSON {type(data).__name__}, not an object")
    schema = data.get("schema")
    route = routes.get(schema) if isinstance(schema, str) else None
    if route is None:
        shown = repr(schema)[:60]
        raise Rejected("unknown_schema", f"schema {shown} is not one of {sorted(routes)}")
    try:
        return route, route.model.model_validate(data)
    except ValidationError as e:
        raise _invalid(e) from None


def accept(delivery: Delivery, routes: dict[str, Route[Any, Any]], max_bytes: int) -> Accepted | None:
    """Decode a delivery for one of `routes`; None when it belongs to another service on the same
    routing key. Raises Rejected when it can't be decoded."""
    route, message = decode(delivery.body, routes, max_bytes)
    if not route.wants(message):
        return None
    key = route.key(message, delivery.properties.message_id)
    return Accepted(route, message, key, delivery.properties.user_id)


def _invalid(error: ValidationError) -> Rejected:
    """A Rejected naming the fields at fault, without echoing their (maybe personal) values."""
    problems = error.errors(include_input=False, include_url=False)
    if any(p["loc"][:1] == ("channel",) and p["type"] == "enum" for p in problems):
        reason = "unknown_channel"
    elif any(p["type"].startswith(("datetime", "timezone")) for p in problems):
        reason = "bad_timestamp"
    else:
        reason = "invalid"
    detail = "; ".join(f"{'.'.join(str(x) for x in p['loc']) or '(body)'}: {p['msg']}" for p in problems[:5])
    return Rejected(reason, detail)
