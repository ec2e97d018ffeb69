"""`bamsos kantor`: the offices this deployment serves (shared/sop/offices.py), listed and checked."""

from __future__ import annotations

import click

from services.console.answers import load_answers
from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings, load_settings
from shared.sop.hours import DAYS
from shared.sop.office import Office
from shared.sop.offices import configured_offices


@click.group()
def kantor() -> None:
    """Kantor yang dilayani: dari BAMSOS_OFFICES_DIR, atau satu kantor dari pengaturan BAMSOS_*."""


@kantor.command("daftar")
def kantor_daftar() -> None:
    """Daftar kantor: kode, nama, zona waktu, jam kerja, awalan tiket, akun kanal."""
    for office in _offices(load_settings()):
        click.echo(f"{office.code}\t{office.name}")
        click.echo(f"  sumber       {office.source or 'pengaturan BAMSOS_*'}")
        click.echo(f"  zona waktu   {office.zone.key}")
        click.echo(f"  jam kerja    {hours_text(office)}")
        closed = ", ".join(d.isoformat() for d in sorted(office.closed)) or "-"
        click.echo(f"  tutup        {closed}")
        click.echo(f"  awalan tiket {office.ticket_prefix}")
        accounts = office.channels.accounts()
        click.echo(f"  kanal        {', '.join(f'{k}={v}' for k, v in accounts.items()) or '-'}")


@kantor.command("periksa")
def kantor_periksa() -> None:
    """Periksa berkas kantor (bagan, jam kerja, templat, kanal); setiap galat menyebut berkas dan
    isiannya. Keluar dengan kode 1 bila ada yang salah."""
    settings = load_settings()
    offices = _offices(settings)
    problems = [p for office in offices if (p := _answers_problem(office))]
    if problems:
        raise click.ClickException("\n".join(problems))
    click.echo(f"{len(offices)} kantor baik: {', '.join(o.code for o in offices)}")
    if len(offices) > 1:
        click.echo("catatan: versi ini baru melayani satu kantor per penerapan; layanan menolak mulai.")


def _offices(settings: Settings) -> list[Office]:
    try:
        return configured_offices(settings)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None


def _answers_problem(office: Office) -> str | None:
    """The answers' templates are the console's to read; checked here so one command checks all."""
    try:
        load_answers(office.answer_templates)
    except ConfigError as e:
        return f"{office.source or 'settings'}: templat_jawaban: {e}"
    return None


def hours_text(office: Office) -> str:
    """The office's hours, written back the way they are configured, day by day."""
    days = [
        f"{DAYS[day]} " + ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in periods)
        for day, periods in sorted(office.hours.items())
    ]
    return "; ".join(days)
