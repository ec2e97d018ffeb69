"""`bamsos demo`: the whole pipeline on the local servers, a feed of inquiries, simulated staff.

Ends with a summary (inquiries, replies, per path, per step against its standard) and the laporan;
exits non-zero if any inquiry was left without a reply.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.catalog import GATEWAY, setup
from services.catalog import NAMES as SERVICES
from services.runner import supervise
from shared.devtools.dashboard_png import render as render_dashboard
from shared.devtools.fake_platforms import FakePlatforms
from shared.devtools.feed import make_inquiries
from shared.devtools.gateway_feed import GatewayFeed, gateway_env
from shared.devtools.local_prometheus import by_label, free_port, local_prometheus, query
from shared.devtools.polling import healthy, wait_until
from shared.devtools.simulation import Connector, Staff, publish_inquiries
from shared.laporan import FORMATS, Office, Period, office_day, write_laporan
from shared.runtime.settings import Settings
from shared.runtime.storage import handovers, inquiries, make_engine, notices
from shared.sop.citizen import skm_grade, skm_index
from shared.sop.contracts import Channel, Inquiry
from shared.sop.documents import import_export
from shared.sop.office_calendar import office_zone
from shared.sop.rules import STANDARD_MINUTES, STEP_NAMES


def run_demo(
    settings: Settings,
    *,
    count: int,
    timeout: float,
    out: Path,
    dashboard_png: Path | None = None,
    via_gateway: bool = False,
) -> int:
    chart = setup(settings)
    engine_for_export = make_engine(settings.database_url)
    with engine_for_export.begin() as db:
        # The office's export of registration numbers: one document issued, one not yet.
        import_export(db, DOCUMENT_EXPORT, datetime.now(UTC))
    engine_for_export.dispose()
    zone = office_zone(settings)
    engine = make_engine(settings.database_url)
    stop = threading.Event()
    env = dict(os.environ, BAMSOS_TIME_SCALE=str(settings.time_scale), BAMSOS_CALENDAR=settings.calendar)
    env.setdefault("BAMSOS_LOG_LEVEL", "warning")  # keep the demo's own output readable
    with contextlib.ExitStack() as stack:
        prometheus = None
        if dashboard_png is not None:
            # A real Prometheus with deploy/'s rules scrapes the demo's services for the picture.
            ports = {name: free_port() for name in SERVICES}
            env["BAMSOS_METRICS_PORTS"] = json.dumps(ports)
            prometheus = stack.enter_context(local_prometheus(ports))
        names = list(SERVICES)
        if via_gateway:
            # The platforms' side, played locally: the gateway talks to fakes of their send APIs.
            fake = stack.enter_context(FakePlatforms())
            port = free_port()
            env |= gateway_env(fake, port)
            names.append(GATEWAY)
        services = threading.Thread(target=supervise, args=(names, stop, env), daemon=True)
        services.start()
        # Officers take between half a minute and seven minutes of SOP time, so some steps breach.
        staff = Staff(
            settings.amqp_url,
            chart,
            think=lambda _task: random.uniform(30, 420) / settings.time_scale,
        ).start()
        # Half the citizens ask "cek status" after the acknowledgement and rate when surveyed.
        connector = None if via_gateway else Connector(settings.amqp_url, citizens=0.5).start()
        feeder = None
        started = time.time()
        try:
            if prometheus is not None:
                wait_until(lambda: len(query(prometheus, 'up{job="bamsos"} == 1')) == len(SERVICES), 30)
            # Sent now: step 1 runs from the citizen's sending. Two citizens ask after a document by
            # its registration number: its state in the export decides the path (7 or 6).
            feed = make_inquiries(count) + document_questions()
            click.echo(f"demo: {len(feed)} inquiries, SOP clock x{settings.time_scale:g}")
            if via_gateway:
                url = f"http://127.0.0.1:{port}"
                wait_until(lambda: healthy(url), 30)
                feeder = GatewayFeed(fake, url).start()
                ids = [feeder.send(inquiry, n) for n, inquiry in enumerate(feed)]
                click.echo(f"  through the gateway {url}: WhatsApp, Telegram, Messenger, Instagram")
            else:
                publish_inquiries(settings.amqp_url, feed)
                ids = [f.id for f in feed]
            answered = _wait_for_replies(engine, ids, timeout)
            wait_until(lambda: _receipts_in(engine, ids), 10)
            if connector is not None:
                # The ratings answer the surveys sent on delivery: each is thanked once recorded.
                wait_until(lambda: _citizens_answered(engine, connector), 15)
            if prometheus is not None and dashboard_png is not None:
                replies = "sum(bamsos_replies_total)"
                wait_until(lambda: sum(by_label(prometheus, replies, "").values()) >= answered, 15)
                render_dashboard(prometheus, started, time.time(), dashboard_png, zone)
                click.echo(f"dashboard: {dashboard_png}")
            if via_gateway:
                by_platform = Counter(call.platform for call in fake.sent())
                shown = ", ".join(f"{name} {n}" for name, n in sorted(by_platform.items()))
                click.echo(f"  answers the fake platforms received: {shown}")
        finally:
            if connector is not None:
                connector.stop()
            if feeder is not None:
                feeder.stop()
            staff.stop()
            stop.set()
            services.join(30)
    _print_summary(engine, ids)
    _print_citizen_side(engine, ids)
    _write_laporan(engine, settings, Period.month_of(office_day(feed[0].sent_at, zone), zone), out)
    if answered < len(feed):
        click.echo(f"FAILED: {len(feed) - answered} inquiries left without a reply", err=True)
        return 1
    return 0


def _write_laporan(engine: Engine, settings: Settings, period: Period, out: Path) -> None:
    """The month's laporan in every format: `out` with .pdf, .xlsx and .csv."""
    office = Office.from_settings(settings)
    paths = [out.with_suffix(f".{fmt}") for fmt in FORMATS]
    for fmt, path in zip(FORMATS, paths, strict=True):
        write_laporan(engine, period, fmt, path, office=office)
    click.echo(f"laporan {period.text()}: {', '.join(str(p) for p in paths)}")


def _replied(engine: Engine, upstream_ids: Sequence[str], column: sa.Column[object]) -> int:
    with engine.connect() as db:
        return int(
            db.scalar(
                sa.select(sa.func.count())
                .select_from(inquiries)
                .where(inquiries.c.upstream_id.in_(upstream_ids), column.is_not(None))
            )
            or 0
        )


def _wait_for_replies(engine: Engine, ids: list[str], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    done, shown = 0, -1
    while time.monotonic() < deadline:
        done = _replied(engine, ids, inquiries.c.replied_at)
        if done != shown:
            click.echo(f"  dijawab {done}/{len(ids)}")
            shown = done
        if done == len(ids):
            break
        time.sleep(1)
    return done


def _receipts_in(engine: Engine, ids: list[str]) -> bool:
    """Every reply sent so far has its delivery receipt (step 8 closed)."""
    return _replied(engine, ids, inquiries.c.delivered_at) >= _replied(engine, ids, inquiries.c.replied_at)


DOCUMENT_EXPORT = (
    b"nomor_registrasi,status,jenis_dokumen\n"
    b"1471-2026-000123,terbit,kk\n"
    b"1471-2026-000456,belum_terbit,akta_kelahiran\n"
)


def document_questions() -> list[Inquiry]:
    """Two citizens asking whether their document is done, naming its registration number."""
    now = datetime.now(UTC)
    texts = [
        ("Min, KK saya dengan nomor registrasi 1471-2026-000123 sudah jadi belum ya?", "Rahmat Hidayat"),
        ("Kak, akta kelahiran anak saya no registrasi 1471-2026-000456 kapan selesai?", "Nur Aini"),
    ]
    return [
        Inquiry(
            id=uuid.uuid4().hex[:16],
            channel=Channel.whatsapp,
            account=f"62812{n:07d}",
            name=name,
            sent_at=now,
            text=text,
        )
        for n, (text, name) in enumerate(texts, 1)
    ]


def _citizens_answered(engine: Engine, connector: Connector) -> bool:
    """Every status request and rating the citizens sent has had its notice back."""
    asked = len(connector.citizen_messages)
    answered = sum(1 for n in connector.notices if n["kind"] in ("status", "thanks", "unknown_ticket"))
    return answered >= asked


def _print_citizen_side(engine: Engine, ids: list[str]) -> None:
    """Tickets, what citizens asked by chat, and the satisfaction index (SKM)."""
    mine = inquiries.c.upstream_id.in_(ids)
    with engine.connect() as db:
        kinds: dict[str, int] = dict(
            db.execute(
                sa.select(notices.c.kind, sa.func.count())
                .join(inquiries, inquiries.c.inquiry_id == notices.c.inquiry_id)
                .where(mine)
                .group_by(notices.c.kind)
            ).all()
        )
        rated, mean = db.execute(
            sa.select(sa.func.count(inquiries.c.rating), sa.func.avg(inquiries.c.rating)).where(mine)
        ).one()
    click.echo(
        f"Tiket dan pemberitahuan: tanda terima {kinds.get('acknowledged', 0)}, "
        f"jawaban cek status {kinds.get('status', 0)}, survei {kinds.get('survey', 0)}, "
        f"penilaian {rated}"
    )
    if rated:
        index = skm_index(float(mean))
        letter, words = skm_grade(index)
        click.echo(f"Indeks kepuasan (SKM): {index:.2f} ({letter}, {words}) dari {rated} penilaian")


def _print_summary(engine: Engine, ids: list[str]) -> None:
    mine = inquiries.c.upstream_id.in_(ids)
    h = handovers.c
    with engine.connect() as db:
        total = db.scalar(sa.select(sa.func.count()).select_from(inquiries).where(mine))
        replied = db.scalar(sa.select(sa.func.count()).where(mine, inquiries.c.replied_at.is_not(None)))
        paths = db.execute(
            sa.select(inquiries.c.path, sa.func.count())
            .where(mine)
            .group_by(inquiries.c.path)
            .order_by(inquiries.c.path)
        ).all()
        steps = db.execute(
            sa.select(
                h.step,
                sa.func.count(),
                sa.func.count(h.done_at),
                sa.func.percentile_cont(0.5).within_group(h.duration_seconds),
                sa.func.count().filter(h.breached.is_(True)),
            )
            .join(inquiries, inquiries.c.inquiry_id == h.inquiry_id)
            .where(mine)
            .group_by(h.step)
            .order_by(h.step)
        ).all()
        breach_notices = db.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(h.escalation_level), 0))
            .join(inquiries, inquiries.c.inquiry_id == h.inquiry_id)
            .where(mine)
        )
    click.echo(f"\nPermohonan: {total}   dijawab: {replied}   peringatan keterlambatan: {breach_notices}")
    click.echo("Per jalur SOP: " + ", ".join(f"{p or 'belum selesai'}: {n}" for p, n in paths))
    click.echo(f"\n{'langkah':<44} {'baku':>6} {'kasus':>6} {'selesai':>8} {'median':>8} {'lewat':>6}")
    for step, n, finished, median, breached in steps:
        name = f"{step}. {STEP_NAMES[step]}"
        median_text = f"{median / 60:.1f}m" if median is not None else "-"
        click.echo(
            f"{name:<44} {STANDARD_MINUTES[step]:>5}m {n:>6} {finished:>8} {median_text:>8} {breached:>6}"
        )
