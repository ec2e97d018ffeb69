"""`bamsos saran TEKS [--layanan KODE] [--json]`: the answer suggestions the console shows, in a
terminal, for scripts and for checking."""

from __future__ import annotations

import json
import time
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import SQLAlchemyError

from services.console.answers import as_templates, load_answers
from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings, load_settings
from shared.runtime.storage import make_engine
from shared.sop.classify import load_rules
from shared.sop.contracts import Service
from shared.staff.saran import PastAnswers, Suggester, Suggestion


@click.command()
@click.argument("teks")
@click.option("--layanan", type=click.Choice([s.value for s in Service]), help="The case's service code.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (judul, layanan, skor, sumber, …).")
def saran(teks: str, layanan: str | None, as_json: bool) -> None:
    """Suggest answers to TEKS: the 3 best templates and the 3 most similar past answers."""
    settings = load_settings()
    try:
        suggester = Suggester(as_templates(load_answers()), rules=load_rules(settings.classify_rules))
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    suggester.past = _past_answers(settings, suggester)
    found = suggester.suggest(teks, service=layanan)
    if as_json:
        click.echo(json.dumps([s.as_json() for s in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("Tidak ada saran untuk teks ini.")
    for n, suggestion in enumerate(found, 1):
        click.echo(_line(n, suggestion))


def _past_answers(settings: Settings, suggester: Suggester) -> PastAnswers | None:
    """The office's answered cases, if its database answers; without it, templates only."""
    try:
        past = PastAnswers(make_engine(settings.database_url), suggester.terms, ZoneInfo(settings.timezone))
        past.refresh(time.monotonic())
    except SQLAlchemyError as e:
        click.echo(f"past answers left out: the database did not answer ({type(e).__name__})", err=True)
        return None
    return past


def _line(n: int, s: Suggestion) -> str:
    where = s.layanan or "umum"
    if s.sumber == "templat":
        return f"{n}. [templat · {where} · {s.skor:.2f}] {s.judul}\n   dasar: {s.dasar}"
    head = f"{n}. [jawaban · {where} · {s.skor:.2f}] tiket {s.tiket}, {s.tanggal}: {s.judul}"
    return f"{head}\n   {s.teks.strip()[:200]}"
