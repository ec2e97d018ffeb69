"""`bamsos pdp ekspor|hapus|insiden`: a data subject's request, and a breach's first question."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from shared.privacy.access_log import Action, command_actor
from shared.privacy.cli_parts import account_option, moment, reference_option, tools
from shared.privacy.erasure import erase
from shared.privacy.export_pdf import write_pdf
from shared.privacy.incident import exposed_accounts
from shared.privacy.subject import find

_ACCOUNT = [
    click.option("--kanal", help="Kanal: instagram, facebook, whatsapp, x, tiktok, telegram, email, web."),
    click.option("--akun", help="Akun pemohon di kanal itu, persis seperti tercatat."),
    click.option("--nomor-permohonan", "reference", help="Nomor surat/permohonan subjek data (wajib)."),
]


def _with_account(command: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(_ACCOUNT):
        command = option(command)
    return command


@click.command()
@_with_account
@click.option(
    "--keluar",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Berkas hasil (.json dan .pdf di sebelahnya); bawaan: ekspor-<nomor permohonan>.",
)
def ekspor(kanal: str | None, akun: str | None, reference: str | None, keluar: Path | None) -> None:
    """Salinan semua data yang disimpan tentang satu akun, sebagai JSON dan PDF (UU 27/2022 ps. 7-8)."""
    account, reference = account_option(kanal, akun), reference_option(reference)
    base = (keluar or Path(f"ekspor-{reference.replace('/', '-')}")).with_suffix("")
    with tools() as t:
        with t.engine.connect() as db:
            held = find(db, t.amqp_url, account)
        if not held.found:
            raise click.ClickException(
                f"tidak ada data tentang akun itu di kanal {kanal}; tidak ada yang diekspor"
            )
        now = datetime.now(UTC)
        # Recorded before the files are written: no copy exists that the log does not name.
        with t.engine.begin() as db:
            t.log.record(
                db, command_actor(), Action.SUBJECT_EXPORT, account=account, reference=reference, at=now
            )
        base.with_suffix(".json").write_text(held.as_json(), encoding="utf-8")
        write_pdf(held, base.with_suffix(".pdf"), reference=reference, made_at=now, zone=t.zone)
    click.echo(
        f"ekspor {reference}: {len(held.cases)} pertanyaan, {len(held.outbox)} pesan keluar, "
        f"{len(held.gateway_sends)} kiriman gateway, {len(held.dead_letters)} dead letter "
        f"-> {base.with_suffix('.json')}, {base.with_suffix('.pdf')}"
    )


@click.command()
@_with_account
def hapus(kanal: str | None, akun: str | None, reference: str | None) -> None:
    """Hapus data pribadi satu akun sekarang, seperti retensi (UU 27/2022 ps. 8, 43-44); kasus yang
    masih terbuka disebutkan dan dibiarkan; jumlah di laporan tetap."""
    account, reference = account_option(kanal, akun), reference_option(reference)
    with tools() as t:
        with t.engine.connect() as db:
            held = find(db, t.amqp_url, account)
        if not held.found:
            raise click.ClickException(
                f"tidak ada data tentang akun itu di kanal {kanal}; tidak ada yang dihapus"
            )
        done = erase(
            t.engine,
            t.amqp_url,
            held,
            t.log,
            actor=command_actor(),
            reference=reference,
            now=datetime.now(UTC),
        )
    click.echo(
        f"hapus {reference}: data pribadi {done.cases} kasus dihapus, "
        f"{done.messages} pesan terkirim dibuang, isi {done.dead_letters} dead letter dihapus"
    )
    if done.left_open:
        click.echo(
            f"dibiarkan: {len(done.left_open)} kasus masih terbuka ({', '.join(done.left_open)}); "
            "jawabannya masih memerlukan data itu. Ulangi perintah ini setelah kasus dijawab."
        )


@click.command()
@click.option("--dari", help="Sejak (WIB): YYYY-MM-DD atau YYYY-MM-DD JJ:MM (wajib).")
@click.option("--sampai", help="Sampai dengan (WIB): YYYY-MM-DD atau YYYY-MM-DD JJ:MM (wajib).")
@click.option("--petugas", help="Nama pengguna petugas (atau os:<user>).")
@click.option("--alamat", help="Alamat klien (IP) di konsol.")
def insiden(dari: str | None, sampai: str | None, petugas: str | None, alamat: str | None) -> None:
    """Akun yang datanya dilihat seorang petugas atau dari satu alamat dalam rentang waktu (insiden)."""
    if not dari or not sampai:
        raise click.UsageError("--dari dan --sampai wajib")
    if bool(petugas) == bool(alamat):
        raise click.UsageError("sebutkan --petugas atau --alamat (salah satu)")
    with tools() as t:
        since = moment(dari, t.zone, end=False, option="--dari")
        until = moment(sampai, t.zone, end=True, option="--sampai")
        assert since and until
        if until <= since:
            raise click.BadParameter("--sampai harus setelah --dari", param_hint="--sampai")
        with t.engine.begin() as db:
            seen = exposed_accounts(db, t.log, since=since, until=until, actor=petugas, client=alamat)
            who = f"petugas {petugas}" if petugas else f"alamat {alamat}"
            reference = f"{who} {since.isoformat()}/{until.isoformat()}"
            t.log.record(db, command_actor(), Action.INCIDENT_QUERY, reference=reference[:200])
    for e in seen:
        name = (
            f"{e.account.channel}  {e.account.account}"
            if e.account
            else f"(akun tak dikenal lagi) #{e.hash[:12]}"
        )
        how = ", ".join(f"{Action(a).label} x{n}" for a, n in sorted(e.actions.items()))
        click.echo(f"{name:<45} {how}")
    click.echo(f"{len(seen)} akun")
