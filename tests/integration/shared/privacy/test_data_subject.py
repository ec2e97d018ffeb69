"""A data subject's request end to end: one citizen's name, NIK and phone number go through the
real services into every place of the README's inventory; `bamsos pdp ekspor` finds every one,
`bamsos pdp hapus` leaves none in any table, the dead-letter queue or the outbox, and the month's
laporan figures come out the same. Another citizen's data is left alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pika
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Connection, Engine

from services.cli import main
from services.gateway import book
from shared.devtools.simulation import Connector, Staff, publish_inquiries
from shared.laporan.figures import Figures, compile_figures
from shared.laporan.period import Period
from shared.runtime import topology
from shared.runtime.settings import Settings
from shared.runtime.storage import access_log, inquiries, make_engine, metadata
from shared.sop.contracts import Inquiry, Service, Task, TaskResult, Topic
from shared.sop.orgchart import OrgChart
from tests.helpers import InProcess, publish, ready_count, wait_for
from tests.unit.shared.laporan.feed import Step, add_case

pytestmark = pytest.mark.integration

KEY = "kunci-rahasia-uji-0123456789"
NAME, NIK, PHONE = "Bambang Sutrisno Wicaksono", "3271046504870002", "081298765432"
ACCOUNT = "bambang_wicaksono88"
PLANTS = (NAME, NIK, PHONE, ACCOUNT)
OTHER = ("Ni Luh Ayu Pradnyani", "5171015708920003", "ayupradnyani.bali")
TEXT = f"Saya {NAME}, NIK {NIK}, hp {PHONE}. Bagaimana mengurus KTP-el yang hilang?"


class QuotingStaff(Staff):
    """Officers whose answer names the citizen and quotes the numbers, as real answers do."""

    def _decide(self, task: Task) -> TaskResult:
        result = super()._decide(task)
        if result.text and "Bambang" in task.summary:
            return result.model_copy(
                update={"text": f"Bapak {NAME}, data NIK {NIK} (hp {PHONE}) sudah kami cek."}
            )
        return result


def inquiry(n: int, account: str, name: str, text: str) -> Inquiry:
    return Inquiry(
        id=f"tg-{n}",  # the platform's message id
        channel="telegram",
        account=account,
        name=name,
        sent_at=datetime.now(UTC),
        text=text,
        service=Service.ktp_el,
        topic=Topic.informasi,
    )


def pdp(settings: Settings, *args: str) -> tuple[int, str]:
    env = {
        "BAMSOS_AMQP_URL": settings.amqp_url,
        "BAMSOS_DATABASE_URL": settings.database_url,
        "BAMSOS_PDP_KEY": KEY,
    }
    result = CliRunner().invoke(main, ["pdp", *args], env=env)
    return result.exit_code, result.output


def dead_letter(settings: Settings, body: bytes, reason: str, queue: str) -> None:
    """Dead-letter a message as a worker or the gateway does: its body, the reason in headers."""
    headers = {
        "x-bamsos-reason": reason,
        "x-bamsos-queue": queue,
        "x-bamsos-dead-at": datetime.now(UTC).isoformat(),
    }
    publish_properties = pika.BasicProperties(delivery_mode=2, headers=headers)
    connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_url))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish(topology.DEAD, queue, body, publish_properties)
    connection.close()


def dead_letter_bodies(settings: Settings) -> list[bytes]:
    connection = pika.BlockingConnection(pika.URLParameters(settings.amqp_url))
    channel = connection.channel()
    bodies = []
    while True:
        method, _props, body = channel.basic_get(topology.DEAD_LETTER_QUEUE, auto_ack=False)
        if method is None:
            break
        bodies.append(body)
    connection.close()  # nothing acked: they all go back
    return bodies


def everything_in_the_database(engine: Engine) -> str:
    with engine.connect() as db:
        return "\n".join(
            repr(tuple(bytes(v).decode(errors="replace") if isinstance(v, memoryview) else v for v in row))
            for table in metadata.sorted_tables
            for row in db.execute(sa.select(table))
        )


def month_figures(engine: Engine) -> Figures:
    zone = ZoneInfo("Asia/Jakarta")
    period = Period.month_of(datetime.now(zone).date(), zone)
    with engine.connect() as db:
        return compile_figures(db, period, datetime(2030, 1, 1, tzinfo=UTC))


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


def run_citizens_through(settings: Settings, chart: OrgChart, engine: Engine) -> None:
    """The citizen asks twice and the other citizen once; all answered, delivered, surveyed and
    rated; the gateway's book records the sends; two of the citizen's messages are dead letters."""
    feed = [
        inquiry(1, ACCOUNT, NAME, TEXT),
        inquiry(2, ACCOUNT, NAME, f"Saya ulangi, NIK {NIK}, kapan KTP-el saya jadi?"),
        inquiry(3, OTHER[2], OTHER[0], f"NIK {OTHER[1]}, syarat KIA apa saja?"),
    ]
    staff = QuotingStaff(settings.amqp_url, chart).start()
    connector = Connector(settings.amqp_url).start()
    with InProcess("intake", settings), InProcess("router", settings), InProcess("reporter", settings):
        try:
            publish_inquiries(settings.amqp_url, feed)

            def settled() -> tuple[int, int]:
                c = inquiries.c
                with engine.connect() as db:
                    row = db.execute(
                        sa.select(sa.func.count(c.survey_sent_at), sa.func.count(c.rating))
                    ).one()
                    return row[0], row[1]

            wait_for(
                lambda: settled() == (3, 0), timeout=60, what="three cases answered, delivered, surveyed"
            )
            # Each citizen rates the service (the rating goes to their case surveyed last).
            ratings = [inquiry(4, ACCOUNT, NAME, "5"), inquiry(5, OTHER[2], OTHER[0], "4")]
            publish_inquiries(settings.amqp_url, ratings)
            wait_for(lambda: settled() == (3, 2), timeout=30, what="two ratings")
            # A message in a channel BAMSOS doesn't know: intake dead-letters it, body and all.
            bad = json.loads(feed[0].model_dump_json(by_alias=True)) | {"id": "up-x", "channel": "myspace"}
            publish(settings.amqp_url, topology.INBOUND, "inquiry.telegram", json.dumps(bad).encode())
            wait_for(lambda: ready_count(settings.amqp_url, topology.DEAD_LETTER_QUEUE) == 1, what="dead")
        finally:
            staff.stop()
            connector.stop()
    # What the gateway would have written sending the replies and the notices to the platform.
    now = datetime.now(UTC)
    with engine.begin() as db:
        for n, sent in enumerate([*connector.replies, *connector.notices]):
            sent_id = sent.get("reply_id") or sent["notice_id"]
            book.record_sent(
                db,
                sent_id,
                sent["channel"],
                sent["account"],
                now,
                via_template=False,
                is_reply="reply_id" in sent,
            )
            book.record_part(db, sent_id, 0, f"tg-{n}", now)
    # A reply the platform refused for good, dead-lettered by the gateway with its body.
    reply = next(r for r in connector.replies if r["account"] == ACCOUNT)
    dead_letter(settings, json.dumps(reply).encode(), "platform_refused", topology.REPLIES_QUEUE)


def test_ekspor_finds_every_plant_and_hapus_leaves_none_with_the_laporan_unchanged(
    settings: Settings, chart: OrgChart, engine: Engine, tmp_path: Path
) -> None:
    run_citizens_through(settings, chart, engine)
    before = month_figures(engine)
    assert before.totals.received == 3 and before.satisfaction.responses == 2

    code, output = pdp(
        settings,
        "ekspor",
        "--kanal",
        "telegram",
        "--akun",
        ACCOUNT,
        "--nomor-permohonan",
        "PDP/2026/017",
        "--keluar",
        str(tmp_path / "salinan.json"),
    )
    assert code == 0, output
    held = json.loads((tmp_path / "salinan.json").read_text(encoding="utf-8"))
    assert (tmp_path / "salinan.pdf").read_bytes().startswith(b"%PDF")
    cases = held["pertanyaan"]
    assert len(cases) == 2 and any(c["rating"] for c in cases), "both cases, with the rating"
    assert NIK in cases[0]["text"] and cases[0]["name"] == NAME and PHONE in cases[0]["reply_text"]
    assert all(c["kartu_kendali"] and c["pemberitahuan"] for c in cases), "card rows and notices"
    kinds = {row["routing_key"].split(".")[0] for row in held["pesan_keluar"]}
    assert {"reply", "notice", "admin"} <= kinds, "the reply, the notices and the tasks in the outbox"
    assert all(
        ACCOUNT in json.dumps(r["body"]) or r["body"]["inquiry_id"] in {c["inquiry_id"] for c in cases}
        for r in held["pesan_keluar"]
    )
    assert NIK in json.dumps(held["pesan_keluar"]) and PHONE in json.dumps(held["pesan_keluar"])
    assert len(held["kiriman_gateway"]) == 2 + 2 + 2 + 1, "the replies, acknowledgements, surveys, thanks"
    assert {d["alasan"] for d in held["dead_letter"]} == {"unknown_channel", "platform_refused"}
    assert OTHER[1] not in json.dumps(held) and OTHER[2] not in json.dumps(held), "only this citizen's"

    code, output = pdp(
        settings, "hapus", "--kanal", "telegram", "--akun", ACCOUNT, "--nomor-permohonan", "PDP/2026/017"
    )
    assert code == 0, output
    assert (
        output.startswith("hapus PDP/2026/017: data pribadi 2 kasus dihapus,")
        and "isi 2 dead letter dihapus" in output
    )

    stored = everything_in_the_database(engine)
    letters = b"\n".join(dead_letter_bodies(settings)).decode(errors="replace")
    for plant in PLANTS:
        assert plant not in stored, f"{plant} still in the database"
        assert plant not in letters, f"{plant} still in a dead letter"
    assert OTHER[1] in stored and OTHER[2] in stored, "the other citizen's data stays"
    assert ready_count(settings.amqp_url, topology.DEAD_LETTER_QUEUE) == 2, "the letters stay, bodies erased"
    assert month_figures(engine) == before, "the laporan's figures are the same"

    with engine.connect() as db:
        logged = db.execute(
            sa.select(access_log.c.action, access_log.c.reference, access_log.c.account_hash)
        ).all()
    assert [(a, r) for a, r, _ in logged] == [
        ("subject_export", "PDP/2026/017"),
        ("subject_erasure", "PDP/2026/017"),
    ]
    assert logged[0].account_hash == logged[1].account_hash
    code, output = pdp(settings, "log", "--kanal", "telegram", "--akun", ACCOUNT)
    assert "ekspor data subjek" in output and "hapus data subjek" in output and output.endswith("2 baris\n")
    assert pdp(settings, "verifikasi")[0] == 0

    code, output = pdp(
        settings, "hapus", "--kanal", "telegram", "--akun", ACCOUNT, "--nomor-permohonan", "PDP/2026/017"
    )
    assert code == 1 and "tidak ada data tentang akun itu" in output, "erased: nothing left to find"


def citizens_case(db: Connection, inquiry_id: str, *, answered: bool, ticket: str | None = None) -> None:
    """One of the citizen's cases written straight into the database, answered at step 3 or open."""
    step = Step(3, "admin", 2.0, "Sari") if answered else Step(3, "admin", None)
    add_case(
        db,
        inquiry_id,
        datetime.now(UTC),
        [step],
        path="3" if answered else None,
        channel="telegram",
        account=ACCOUNT,
        name=NAME,
        text=TEXT,
        ticket=ticket,
    )


def test_an_open_case_is_named_and_left_alone_while_the_answered_one_is_erased(
    settings: Settings, engine: Engine
) -> None:
    with engine.begin() as db:
        citizens_case(db, "answered", answered=True, ticket="BMS-261207-0001")
        citizens_case(db, "waiting", answered=False, ticket="BMS-261207-0002")
    code, output = pdp(
        settings, "hapus", "--kanal", "telegram", "--akun", ACCOUNT, "--nomor-permohonan", "PDP-9"
    )
    assert code == 0, output
    assert "data pribadi 1 kasus dihapus" in output
    assert "dibiarkan: 1 kasus masih terbuka (BMS-261207-0002)" in output
    with engine.connect() as db:
        kept = dict(db.execute(sa.select(inquiries.c.inquiry_id, inquiries.c.text)).all())
    assert kept == {"answered": "(dihapus)", "waiting": TEXT}


def test_an_unknown_account_or_bad_input_is_refused_and_changes_nothing(
    settings: Settings, engine: Engine
) -> None:
    with engine.begin() as db:
        citizens_case(db, "answered", answered=True)
    before = everything_in_the_database(engine)
    for args, code, complaint in [
        (
            ["hapus", "--kanal", "telegram", "--akun", "tidak.ada", "--nomor-permohonan", "P-1"],
            1,
            "tidak ada data tentang akun itu di kanal telegram; tidak ada yang dihapus",
        ),
        (
            ["ekspor", "--kanal", "telegram", "--akun", "tidak.ada", "--nomor-permohonan", "P-1"],
            1,
            "tidak ada data tentang akun itu di kanal telegram; tidak ada yang diekspor",
        ),
        (
            ["hapus", "--kanal", "whatsapp", "--akun", ACCOUNT, "--nomor-permohonan", "P-1"],
            1,
            "tidak ada data tentang akun itu di kanal whatsapp",
        ),
        (
            ["hapus", "--kanal", "myspace", "--akun", ACCOUNT, "--nomor-permohonan", "P-1"],
            2,
            "kanal harus salah satu dari: instagram",
        ),
        (["hapus", "--kanal", "telegram", "--akun", ACCOUNT], 2, "nomor permohonan wajib"),
        (
            ["hapus", "--kanal", "telegram", "--akun", ACCOUNT, "--nomor-permohonan", "; DROP"],
            2,
            "nomor permohonan wajib",
        ),
        (
            ["hapus", "--kanal", "telegram", "--akun", "  ", "--nomor-permohonan", "P-1"],
            2,
            "akun tidak boleh kosong",
        ),
    ]:
        result = pdp(settings, *args)
        assert result[0] == code and complaint in result[1], (args, result)
    assert everything_in_the_database(engine) == before, "nothing changed, nothing logged"
