"""Reference chains for `bamsos bench`, measured in the same run as the pipeline.

A chain is `hops` processes, each consuming queue i and publishing to queue i+1, with message bodies
the size of an inquiry. Two kinds:

- `bare`: consume (prefetch 200), publish without confirms, ack in batches — no database: the
  ceiling of what pika and this broker do on this machine;
- `naive`: what a straightforward worker does per message — consume, validate with pydantic, insert a
  row and commit, publish with a confirm, ack.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import pika
import sqlalchemy as sa

from shared.sop.contracts import Inquiry

_rows = sa.Table(
    "bench_naive",
    sa.MetaData(),
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("body", sa.LargeBinary),
)


def queue_name(chain: str, hop: int) -> str:
    return f"bench.{chain}.{hop}"


def declare(amqp_url: str, chain: str, hops: int) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    for hop in range(hops + 1):
        channel.queue_declare(queue_name(chain, hop), durable=True)
        channel.queue_purge(queue_name(chain, hop))
    connection.close()


def _hop(amqp_url: str, database_url: str | None, chain: str, hop: int, stop: Any) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=200)
    naive = chain == "naive"
    engine = sa.create_engine(database_url) if naive and database_url else None
    if naive:
        channel.confirm_delivery()
    out = queue_name(chain, hop + 1)
    pending: list[int] = []
    properties = pika.BasicProperties(delivery_mode=2, content_type="application/json")

    def on_message(ch: Any, method: Any, _props: Any, body: bytes) -> None:
        if naive:
            assert engine is not None
            inquiry = Inquiry.model_validate_json(body)
            with engine.begin() as db:  # one commit (one fsync) per message
                db.execute(sa.insert(_rows).values(id=f"{hop}:{inquiry.id}", body=body))
            ch.basic_publish("", out, body, properties)  # waits for the confirm
            ch.basic_ack(method.delivery_tag)
        else:
            ch.basic_publish("", out, body, properties)
            pending.append(method.delivery_tag)
            if len(pending) >= 100:
                ch.basic_ack(pending[-1], multiple=True)
                pending.clear()

    channel.basic_consume(queue_name(chain, hop), on_message)
    while not stop.is_set():
        connection.process_data_events(time_limit=0.05)
        if pending:
            channel.basic_ack(pending[-1], multiple=True)
            pending.clear()
    connection.close()


def run_chain(
    amqp_url: str, database_url: str | None, chain: str, bodies: list[bytes], hops: int = 5
) -> float:
    """Messages per second through `hops` hops: from the first publish to the last arrival."""
    declare(amqp_url, chain, hops)
    if chain == "naive" and database_url:
        engine = sa.create_engine(database_url)
        _rows.drop(engine, checkfirst=True)
        _rows.create(engine)
        engine.dispose()
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    workers = [
        context.Process(target=_hop, args=(amqp_url, database_url, chain, hop, stop), daemon=True)
        for hop in range(hops)
    ]
    for w in workers:
        w.start()
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    # Wait until every hop consumes, so start-up is not measured.
    while any(
        channel.queue_declare(queue_name(chain, h), passive=True).method.consumer_count == 0
        for h in range(hops)
    ):
        time.sleep(0.05)
    # Unconfirmed publishing (~10,000/s here) so the feed is never what limits the chain.
    started = time.perf_counter()
    for body in bodies:
        channel.basic_publish("", queue_name(chain, 0), body, pika.BasicProperties(delivery_mode=2))
    last = queue_name(chain, hops)
    while channel.queue_declare(last, passive=True).method.message_count < len(bodies):
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    stop.set()
    for w in workers:
        w.join(10)
    for hop in range(hops + 1):
        channel.queue_delete(queue_name(chain, hop))
    connection.close()
    return len(bodies) / elapsed
