"""`bamsos pdp …`: the data-protection officer's commands (UU 27/2022), in Bahasa Indonesia.

log (the access log), verifikasi (its chain), ekspor and hapus (a data subject's request), insiden
(whose data an officer or an address saw). Every refusal says why and changes nothing.
"""

from __future__ import annotations

import click
import sqlalchemy as sa

from shared.privacy.access_log import Action, Entry, entries
from shared.privacy.cli_parts import account_option, moment, tools
from shared.privacy.requests_cli import ekspor, hapus, insiden
from shared.runtime.storage import access_log


@click.group()
def pdp() -> None:
    """Pelindungan data pribadi (UU 27/2022): log akses, permohonan subjek data, insiden.

    Perlu BAMSOS_PDP_KEY (kunci rahasia log akses)."""


@pdp.command("log")
@click.option("--dari", help="Sejak (WIB): YYYY-MM-DD atau YYYY-MM-DD JJ:MM.")
@click.option("--sampai", help="Sampai dengan (WIB): YYYY-MM-DD (hari itu ikut) atau YYYY-MM-DD JJ:MM.")
@click.option(
    "--petugas", help="Hanya akses oleh petugas ini (nama pengguna, atau os:<user> untuk perintah)."
)
@click.option("--akun", help="Hanya akses ke akun ini (dengan --kanal).")
@click.option("--kanal", help="Kanal akun (--akun).")
def log_command(
    dari: str | None, sampai: str | None, petugas: str | None, akun: str | None, kanal: str | None
) -> None:
    """Tampilkan log akses data pribadi: kapan, siapa, apa, kasus/akun, dari mana."""
    with tools() as t:
        since = moment(dari, t.zone, end=False, option="--dari")
        until = moment(sampai, t.zone, end=True, option="--sampai")
        account_hash = t.log.account_hash(account_option(kanal, akun)) if akun or kanal else None
        with t.engine.connect() as db:
            shown = 0
            for e in entries(db, since=since, until=until, actor=petugas, account_hash=account_hash):
                when = e.at.astimezone(t.zone).strftime("%Y-%m-%d %H:%M:%S %Z")
                what = Action(e.action).label
                click.echo(f"{e.id:>6}  {when}  {e.actor:<20} {what:<24} {_about(e)}")
                shown += 1
    click.echo(f"{shown} baris")


def _about(e: Entry) -> str:
    parts = [
        f"kasus {e.case_id}" if e.case_id else "",
        f"akun #{e.account_hash[:12]}" if e.account_hash else "",
        f"dari {e.client}" if e.client else "",
        f"nomor {e.reference}" if e.reference else "",
    ]
    return "  ".join(p for p in parts if p)


@pdp.command("verifikasi")
def verifikasi() -> None:
    """Periksa rantai hash log akses; sebutkan baris pertama yang rusak."""
    with tools() as t, t.engine.connect() as db:
        checked, broken = t.log.verify(db)
        last = db.execute(
            sa.select(access_log.c.id, access_log.c.row_hash).order_by(access_log.c.id.desc())
        ).first()
    if broken:
        raise click.ClickException(
            f"log akses RUSAK di baris {broken.id}: {broken.reason} ({checked} baris sebelumnya utuh)"
        )
    click.echo(f"log akses utuh: {checked} baris, rantai hash cocok")
    if last:
        # Rows cut off the end leave no break in the chain: compare with what was noted last time.
        click.echo(
            f"baris terakhir {last.id}, hash {last.row_hash}: "
            "catat untuk dibandingkan pada pemeriksaan berikutnya"
        )


for command in (ekspor, hapus, insiden):
    pdp.add_command(command)
