"""`bamsos staff`: the officers' terminal, in Bahasa Indonesia."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click

from shared.runtime.settings import Settings
from shared.runtime.storage import make_engine
from shared.sop.contracts import Service, Task, Topic
from shared.sop.office_calendar import make_clock, office_zone
from shared.sop.offices import the_office
from shared.sop.orgchart import OrgChart
from shared.staff.actions import Refused, case_text, office_time, perform, queue_view, take_next
from shared.staff.card import control_card
from shared.staff.vocabulary import REROUTES, Action, confirmation

UNIT = click.option(
    "--unit", required=True, help="admin, editor, pickup, kadis, kasi.<seksi> atau kabid.<bidang>"
)
OFFICER = click.option("--petugas", "officer", required=True, help="Nama atau paraf petugas.")


def _setup() -> tuple[Settings, OrgChart]:
    settings = Settings()
    return settings, the_office(settings).chart


def _fail(e: Refused) -> click.ClickException:
    return click.ClickException(str(e))


@click.group(
    short_help="Pekerjaan petugas dari terminal: antrean, ambil, jawab (akun konsol: bamsos petugas)."
)
def staff() -> None:
    """Pekerjaan petugas dari terminal: antrean, ambil kasus, jawab, eskalasi, alihkan, selesai, kartu.

    Sama dengan konsol web, tanpa akun: nama petugas diberikan dengan --petugas. Akun masuk ke konsol
    web dikelola dengan `bamsos petugas`.
    """


@staff.command()
@UNIT
def antrean(unit: str) -> None:
    """Lihat antrean unit: jumlah menunggu, yang terlama, dan kasus yang sedang dipegang."""
    settings, chart = _setup()
    try:
        view = queue_view(make_engine(settings.database_url), settings.amqp_url, unit, chart)
    except Refused as e:
        raise _fail(e) from None
    clock = make_clock(settings)
    click.echo(f"Antrean {unit}: {view.waiting} kasus menunggu")
    if view.oldest_handed_at and view.oldest_standard_seconds:
        # In office time, as the standard counts it: a case waiting overnight has used nothing yet.
        waited = clock.sop_seconds(view.oldest_handed_at, datetime.now(UTC)) / 60
        standard = view.oldest_standard_seconds // 60
        state = "TERLAMBAT" if waited > standard else "masih dalam baku"
        click.echo(
            f"Terlama menunggu sejak {office_time(view.oldest_handed_at, clock.zone, named=True)}: "
            f"{waited:.1f} menit (baku {standard} menit, {state})"
        )
    for task_id, officer, taken in view.held:
        click.echo(f"Dipegang {officer} sejak {office_time(taken, clock.zone, named=True)}: {task_id}")


def _show(task: Task, text: str, time_scale: float, zone: ZoneInfo) -> None:
    if task.kind == "notice":
        click.echo(f"PERINGATAN (kasus {task.inquiry_id}): {task.summary}")
        return
    left = (task.due_at - datetime.now(UTC)).total_seconds() * time_scale / 60
    due = f"sisa {left:.1f} menit" if left >= 0 else f"TERLAMBAT {-left:.1f} menit"
    click.echo(
        f"Tugas {task.task_id}  tiket {task.ticket or '-'}  (langkah {task.step}, "
        f"layanan {task.service or '-'}, topik {task.topic or 'perlu ditentukan'})"
    )
    assigned = office_time(task.assigned_at, zone, named=True)
    click.echo(f"Diserahkan {assigned}, batas {office_time(task.due_at, zone, named=True)}: {due}")
    click.echo(f"Pertanyaan pemohon: {text}")


@staff.command()
@UNIT
@OFFICER
def ambil(unit: str, officer: str) -> None:
    """Ambil kasus berikutnya (yang terlama) dari antrean unit."""
    settings, chart = _setup()
    engine = make_engine(settings.database_url)
    try:
        task = take_next(engine, settings.amqp_url, unit, officer, chart)
    except Refused as e:
        raise _fail(e) from None
    if task is None:
        click.echo(f"Antrean {unit} kosong.")
        return
    _show(task, case_text(engine, task.inquiry_id), settings.time_scale, office_zone(settings))


def _do(
    action: Action,
    task_id: str,
    officer: str,
    *,
    text: str | None = None,
    topic: Topic | None = None,
    service: Service | None = None,
    to: str | None = None,
) -> None:
    """Do it, and tell the officer what was sent (the console says the same)."""
    settings, _ = _setup()
    try:
        perform(
            make_engine(settings.database_url),
            settings.amqp_url,
            task_id,
            action,
            officer=officer,
            now=datetime.now(UTC),
            zone=office_zone(settings),
            text=text,
            topic=topic,
            service=service,
            to=to,
        )
    except Refused as e:
        raise _fail(e) from None
    click.echo(confirmation(action, to=to) + ".")


@staff.command()
@click.argument("task_id")
@OFFICER
@click.option("--teks", required=True, help="Jawaban untuk pemohon.")
def jawab(task_id: str, officer: str, teks: str) -> None:
    """Jawab tugas: teks dikirim ke pemohon."""
    _do(Action.jawab, task_id, officer, text=teks)


@staff.command()
@click.argument("task_id")
@OFFICER
@click.option("--teks", required=True, help="Jawaban untuk pemohon.")
def selesai(task_id: str, officer: str, teks: str) -> None:
    """Tandai tugas selesai (editor, pengambilan dokumen): teks dikirim ke pemohon."""
    _do(Action.selesai, task_id, officer, text=teks)


@staff.command()
@click.argument("task_id")
@OFFICER
@click.option("--topik", type=click.Choice([t.value for t in Topic]), help="Topik (triase admin).")
@click.option("--layanan", type=click.Choice([s.value for s in Service]), help="Layanan (triase admin).")
def eskalasi(task_id: str, officer: str, topik: str | None, layanan: str | None) -> None:
    """Teruskan kasus ke atas (kepala seksi -> kepala bidang), atau arahkan ulang (admin)."""
    _do(
        Action.eskalasi,
        task_id,
        officer,
        topic=Topic(topik) if topik else None,
        service=Service(layanan) if layanan else None,
    )


@staff.command()
@click.argument("task_id")
@OFFICER
@click.option(
    "--ke",
    "to",
    required=True,
    type=click.Choice(list(REROUTES)),
    help="loket: dokumen sudah terbit (kepala seksi/bidang langkah 6 -> loket pengambilan); "
    "kasi: dokumen belum terbit (loket pengambilan langkah 7 -> kepala seksi terkait).",
)
@click.option(
    "--layanan", type=click.Choice([s.value for s in Service]), help="Layanan, bila belum diketahui."
)
def alihkan(task_id: str, officer: str, to: str, layanan: str | None) -> None:
    """Alihkan kasus dokumen: ke loket pengambilan bila sudah terbit, kembali ke kepala seksi bila belum."""
    _do(Action.alihkan, task_id, officer, to=to, service=Service(layanan) if layanan else None)


@staff.command()
@click.argument("case_or_task_id", metavar="KASUS_TUGAS_ATAU_TIKET")
def kartu(case_or_task_id: str) -> None:
    """Cetak kartu kendali sebuah kasus (id kasus, id tugas atau nomor tiket)."""
    settings, _ = _setup()
    try:
        card = control_card(make_engine(settings.database_url), case_or_task_id, office_zone(settings))
    except Refused as e:
        raise _fail(e) from None
    click.echo("\n".join(card.lines()))


@staff.command()
@UNIT
@OFFICER
def kerja(unit: str, officer: str) -> None:
    """Sesi kerja interaktif: ambil kasus satu per satu dan jawab. Ctrl-C untuk berhenti."""
    settings, chart = _setup()
    engine = make_engine(settings.database_url)
    try:
        while True:
            view = queue_view(engine, settings.amqp_url, unit, chart)
            click.echo(f"\nAntrean {unit}: {view.waiting} kasus menunggu.")
            if not click.confirm("Ambil kasus berikutnya?", default=True):
                return
            task = take_next(engine, settings.amqp_url, unit, officer, chart)
            if task is None:
                click.echo("Antrean kosong.")
                continue
            _show(task, case_text(engine, task.inquiry_id), settings.time_scale, office_zone(settings))
            if task.kind == "notice":
                continue
            choice = click.prompt("(j)awab, (e)skalasi, (s)elesai", type=click.Choice(["j", "e", "s"]))
            action = {"j": Action.jawab, "e": Action.eskalasi, "s": Action.selesai}[choice]
            teks = None if action is Action.eskalasi else click.prompt("Jawaban untuk pemohon")
            _do(action, task.task_id, officer, text=teks)
    except (KeyboardInterrupt, click.Abort):
        click.echo("\nSelesai bekerja.")
    except Refused as e:
        raise _fail(e) from None
