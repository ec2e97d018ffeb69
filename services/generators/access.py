"""Least privilege on RabbitMQ: one user per service, per staff unit and for the chat connector,
each allowed only its own queues and exchanges (and, on topic exchanges, its own routing keys).

`bamsos deploy-files` writes these as `deploy/rabbitmq/definitions.json`; `apply` sets them on a
broker with rabbitmqctl (tests, a local install). Nobody but the admin running `bamsos setup` may
declare anything (configure is empty for all of them).

A staff unit's user is `staff.<unit>` (`staff.admin`, `staff.kasi.<seksi>`…). Staff tools stamp
each task result with the AMQP `user_id`, which RabbitMQ checks against the connection's user; with
`BAMSOS_UNIT_USERS=true` the router counts a result only from the unit that holds the task.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
from dataclasses import dataclass

from services import catalog
from services.generators import REPO_ROOT
from shared.runtime import topology
from shared.sop.orgchart import OrgChart

DEFINITIONS_FILE = REPO_ROOT / "deploy" / "rabbitmq" / "definitions.json"
NOTHING = "^$"
CONNECTOR = "connector"
# Runs `bamsos setup` (declares the topology) and operates the broker: the one user who may.
ADMIN = "bamsos-admin"


@dataclass(frozen=True)
class Grant:
    """A user's permissions on the vhost, as RabbitMQ's three regexes, plus one topic permission."""

    user: str
    write: str
    read: str
    topic_exchange: str | None = None
    topic_write: str = ".*"
    configure: str = NOTHING
    tags: tuple[str, ...] = ()


def _only(*names: str) -> str:
    return "^(" + "|".join(re.escape(n) for n in names) + ")$"


def grants(chart: OrgChart) -> list[Grant]:
    out = [Grant(ADMIN, write=".*", read=".*", configure=".*", tags=("administrator",))]
    # A service reads its own queue and publishes where its spec says, and dead letters.
    out += [
        Grant(
            spec.name,
            write=_only(*spec.publishes, topology.DEAD),
            read=_only(spec.queue),
            topic_exchange=spec.publishes_only[0] if spec.publishes_only else None,
            topic_write=spec.publishes_only[1] if spec.publishes_only else ".*",
        )
        for spec in catalog.specs()
    ]
    # A unit reads its own queue and may publish only task results.
    out += [
        Grant(
            topology.unit_user(key),
            write=_only(topology.EVENTS),
            read=_only(topology.TASK_QUEUE_PREFIX + key),
            topic_exchange=topology.EVENTS,
            topic_write=_only(topology.TASK_RESULT),
        )
        for key in chart.unit_keys()
    ]
    # The staff console takes from every unit's queue and publishes task results; it checks each
    # officer's units itself.
    out.append(
        Grant(
            topology.CONSOLE_USER,
            write=_only(topology.EVENTS),
            read="^" + re.escape(topology.TASK_QUEUE_PREFIX) + ".+$",
            topic_exchange=topology.EVENTS,
            topic_write=_only(topology.TASK_RESULT),
        )
    )
    # The chat connector (the gateway) publishes inquiries and receipts, reads the replies and
    # dead-letters those a platform refuses for good, nothing else.
    out.append(
        Grant(
            CONNECTOR,
            write=_only(topology.INBOUND, topology.DEAD),
            read=_only(topology.REPLIES_QUEUE),
            topic_exchange=topology.INBOUND,
            topic_write=r"^(inquiry|receipt)\.[a-z_]+$",
        )
    )
    return out


def password_hash(password: str, salt: bytes) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(
    chart: OrgChart, vhost: str = "/", *, prefix: str = "", password: str | None = None
) -> dict[str, object]:
    """RabbitMQ definitions (users, permissions, topic permissions) for `vhost`.

    Without `password` each user's is `change-me-<user>` (a fixed salt keeps the file stable): a
    starting point for a local stack, to be changed with `rabbitmqctl change_password`.
    """
    users, permissions, topic_permissions = [], [], []
    for grant in grants(chart):
        user = prefix + grant.user
        salt = hashlib.sha256(user.encode()).digest()[:4]
        users.append(
            {
                "name": user,
                "password_hash": password_hash(password or f"change-me-{user}", salt),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": list(grant.tags),
            }
        )
        permissions.append(
            {
                "user": user,
                "vhost": vhost,
                "configure": grant.configure,
                "write": grant.write,
                "read": grant.read,
            }
        )
        if grant.topic_exchange:
            topic_permissions.append(
                {
                    "user": user,
                    "vhost": vhost,
                    "exchange": grant.topic_exchange,
                    "write": grant.topic_write,
                    "read": ".*",
                }
            )
    return {
        "vhosts": [{"name": vhost}],
        "users": users,
        "permissions": permissions,
        "topic_permissions": topic_permissions,
    }


def render(chart: OrgChart) -> str:
    return json.dumps(definitions(chart), indent=2) + "\n"


def apply(rabbitmqctl: list[str], vhost: str, chart: OrgChart, *, password: str, prefix: str = "") -> None:
    """Create every user (named `prefix + user`, all with `password`) with its grants on `vhost`."""
    text = json.dumps(definitions(chart, vhost, prefix=prefix, password=password))
    # Through stdin: rabbitmqctl's node runs as another user, who could not read our temp file.
    done = subprocess.run(
        [*rabbitmqctl, "-q", "import_definitions"], input=text, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"rabbitmqctl import_definitions failed: {done.stderr.strip() or done.stdout.strip()}"
        )


def remove(rabbitmqctl: list[str], chart: OrgChart, *, prefix: str) -> None:
    """Delete the users `apply` made, in one rabbitmqctl call (each call costs about a second)."""
    names = ", ".join(
        '<<"' + (prefix + g.user).replace("\\", "").replace('"', "") + '">>' for g in grants(chart)
    )
    script = f'[catch rabbit_auth_backend_internal:delete_user(U, <<"bamsos">>) || U <- [{names}]], ok.'
    subprocess.run([*rabbitmqctl, "-q", "eval", script], capture_output=True, check=True)
