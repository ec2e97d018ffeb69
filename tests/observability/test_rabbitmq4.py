"""Nothing BAMSOS declares relies on what RabbitMQ 4.3 refuses by default: a queue that is neither
durable nor exclusive (`transient_nonexcl_queues`), prefetch shared by a whole channel
(`global_qos`), and the queue arguments 4.3 rejects (`x-queue-master-locator`, `x-queue-mode`,
`x-queue-version`). This machine's broker is 3.10, which refuses none of them, so the check reads
every call in shared/ and services/; deploy/'s brokers refuse them at run time as well
(deploy/rabbitmq/rabbitmq.conf, the RabbitmqCluster's config)."""

from __future__ import annotations

import ast

from services.generators import REPO_ROOT

REFUSED_ARGUMENTS = ("x-queue-master-locator", "x-queue-mode", "x-queue-version")


def _is_true(call: ast.Call, name: str) -> bool:
    return any(
        k.arg == name and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords
    )


def refused_by_rabbitmq_4_3(source: str) -> list[str]:
    """The lines of `source` that RabbitMQ 4.3 would refuse (pika's names for the calls)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and node.value in REFUSED_ARGUMENTS:
            found.append(f"line {node.lineno}: queue argument {node.value}")
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr == "queue_declare" and not any(
            _is_true(node, flag) for flag in ("durable", "exclusive", "passive")
        ):
            found.append(f"line {node.lineno}: a queue neither durable nor exclusive")
        # basic_qos(prefetch_size, prefetch_count, global_qos): the third is the channel-wide flag.
        if node.func.attr == "basic_qos" and (
            len(node.args) > 2 or any(k.arg == "global_qos" for k in node.keywords)
        ):
            found.append(f"line {node.lineno}: global QoS")
    return found


def test_the_check_finds_each_thing_rabbitmq_4_3_refuses() -> None:
    source = """
channel.queue_declare("a")
channel.queue_declare("b", durable=False)
channel.queue_declare("c", durable=True)
channel.queue_declare("", exclusive=True)
channel.queue_declare("d", passive=True)
channel.basic_qos(prefetch_count=10, global_qos=True)
channel.basic_qos(prefetch_count=10)
channel.queue_declare("e", durable=True, arguments={"x-queue-mode": "lazy"})
"""
    assert refused_by_rabbitmq_4_3(source) == [
        "line 2: a queue neither durable nor exclusive",
        "line 3: a queue neither durable nor exclusive",
        "line 7: global QoS",
        "line 9: queue argument x-queue-mode",
    ]


def test_no_code_of_bamsos_declares_what_rabbitmq_4_3_refuses() -> None:
    files = sorted(p for folder in ("shared", "services") for p in (REPO_ROOT / folder).rglob("*.py"))
    assert len(files) > 50  # the tree, not an empty folder
    found = {
        str(path.relative_to(REPO_ROOT)): lines
        for path in files
        if (lines := refused_by_rabbitmq_4_3(path.read_text(encoding="utf-8")))
    }
    assert found == {}
