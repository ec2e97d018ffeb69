"""`bamsos`: the one console command (setup, run, laporan, contract, ...).

It sits above the services it runs. The development tools' commands (`bamsos demo`, `bench`,
`chaos`) are not imported here: `shared/devtools/` registers them as plugins under the entry-point
group `bamsos.commands` (pyproject.toml), so no product module imports the dev tools.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from importlib.metadata import entry_points
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from services.catalog import PROCESSES
from services.generators import REPO_ROOT
from services.kantor import kantor
from services.saran_cli import saran
from shared.laporan import FORMATS, Format, Period
from shared.privacy.cli import pdp
from shared.runtime.errors import ConfigError
from shared.runtime.settings import load_settings
from shared.sop.classify_cli import classify
from shared.staff.terminal import staff


def _day(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date as YYYY-MM-DD") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """BAMSOS: citizens' social-media inquiries to Dukcapil, answered by the SOP."""


@main.command()
@click.option(
    "--await-schema",
    is_flag=True,
    help="Change nothing: wait until the database's schema is at this version's migration head "
    "(another setup migrated it), as a new version's pod does before it starts.",
)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds --await-schema waits.")
def setup(await_schema: bool, timeout: float) -> None:
    """Declare the RabbitMQ topology and create/migrate the database (idempotent)."""
    from services.catalog import setup as do_setup

    settings = load_settings()
    if await_schema:
        _await_schema(settings.database_url, timeout)
        return
    try:
        do_setup(settings)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    click.echo("setup done: topology declared, database migrated")


def _await_schema(database_url: str, timeout: float) -> None:
    import time

    from sqlalchemy.exc import DBAPIError

    from shared.runtime.storage import schema_at_head

    deadline = time.monotonic() + timeout
    while True:
        try:
            if schema_at_head(database_url):
                click.echo("schema at this version's head")
                return
        except DBAPIError as e:  # the database not up yet: as for an older schema, wait
            click.echo(f"database not ready: {type(e.orig).__name__}", err=True)
        if time.monotonic() > deadline:
            raise click.ClickException(f"the schema did not reach this version's head in {timeout:g} s")
        time.sleep(2)


@main.command()
@click.argument("service", type=click.Choice(["all", *PROCESSES]))
def run(service: str) -> None:
    """Run one service, or `all`: the five workers, the gateway and the console, each its own
    process. Stops on SIGTERM / Ctrl-C."""
    from services import runner

    if service == "all":
        load_settings()
        runner.run_all(list(PROCESSES))
    else:
        runner.main(service)


def _period(first: str | None, last: str | None, month: str | None, zone: ZoneInfo) -> Period:
    if month:
        if first or last:
            raise click.UsageError("give --bulan or --from/--to, not both")
        try:
            return Period.month(month, zone)
        except ValueError:
            raise click.BadParameter(f"'{month}' is not a month as YYYY-MM", param_hint="--bulan") from None
    if not first:
        raise click.UsageError("give --from (and --to) or --bulan")
    start = _day(first)
    end = _day(last) if last else start
    if end < start:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    return Period(start, end, zone)


@main.command()
@click.option("--from", "first", help="First office day, YYYY-MM-DD (in BAMSOS_TIMEZONE, WIB by default).")
@click.option("--to", "last", help="Last office day, YYYY-MM-DD; default: the first day.")
@click.option("--bulan", "month", help="A whole month, YYYY-MM, instead of --from/--to.")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), help="Default: the extension of --out (.pdf, .xlsx, .csv)."
)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option(
    "--tanpa-sensor",
    "unmasked",
    is_flag=True,
    help="Register tanpa sensor (nama, akun, pertanyaan utuh) atas permintaan kepala dinas; dicatat.",
)
def laporan(
    first: str | None, last: str | None, month: str | None, fmt: Format | None, out: Path, unmasked: bool
) -> None:
    """Write the laporan (report of the requests received) of a period: PDF, XLSX or CSV. The
    register's personal data is masked unless --tanpa-sensor, which the access log records."""
    from shared.laporan import Office, count_text, write_laporan
    from shared.privacy.access_log import AccessLog, Action, command_actor
    from shared.runtime.storage import make_engine
    from shared.sop.offices import the_office

    settings = load_settings()
    try:
        kantor = the_office(settings)
        log = AccessLog.from_settings(settings) if unmasked else None
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    period = _period(first, last, month, kantor.zone)
    fmt = fmt or _format_of(out)
    engine, office = make_engine(settings.database_url), Office.of(kantor)
    if log:
        with engine.begin() as db:
            reference = f"{period.start.isoformat()}/{period.end.isoformat()}"
            log.record(db, command_actor(), Action.LAPORAN_UNMASKED, reference=reference)
    received = write_laporan(engine, period, fmt, out, office=office, mask=not unmasked)
    found = f"{count_text(received)} permohonan" if received else "tidak ada permohonan"
    click.echo(f"laporan {period.text()}: {found} -> {out}")


def _format_of(out: Path) -> Format:
    for fmt in FORMATS:
        if out.suffix.lower() == f".{fmt}":
            return fmt
    raise click.BadParameter("give it, or an --out file ending in .pdf, .xlsx or .csv", param_hint="--format")


@main.command()
@click.option("--check", is_flag=True, help="Fail if the committed documents are out of date.")
def contract(check: bool) -> None:
    """Write (or --check) the JSON Schema and AsyncAPI documents under docs/contract/."""
    from services.generators.contract_docs import render_all

    _write_generated(render_all(), check, "contract")


@main.command("deploy-files")
@click.option("--check", is_flag=True, help="Fail if the committed files are out of date.")
def deploy_files(check: bool) -> None:
    """Write (or --check) the generated files under deploy/: Prometheus rules, Grafana dashboard (in
    the office's time zone), RabbitMQ users and permissions (for the organisation chart in use)."""
    from services.generators import access, observability
    from shared.sop.offices import the_office

    settings = load_settings()
    try:
        office = the_office(settings)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    files = observability.render_all(office.zone) | {access.DEFINITIONS_FILE: access.render(office.chart)}
    _write_generated(files, check, "deploy-files")


@main.command()
@click.option(
    "--hari", "days", type=click.IntRange(min=1), help="Age in days; default BAMSOS_RETENTION_DAYS."
)
def retensi(days: int | None) -> None:
    """Erase the personal data of cases answered, and of dead letters dead-lettered, more than N days
    ago (UU 27/2022); counts stay."""
    from shared.runtime.retention import erase_dead_letters, erase_personal_data
    from shared.runtime.storage import make_engine

    settings = load_settings()
    days = days or settings.retention_days
    now = datetime.now(UTC)
    erased = erase_personal_data(make_engine(settings.database_url), older_than_days=days, now=now)
    click.echo(
        f"retensi {days} hari: data pribadi {erased.cases} kasus dihapus, "
        f"{erased.messages} pesan terkirim dibuang"
    )
    dead = erase_dead_letters(settings.amqp_url, older_than_days=days, now=now)
    undated = f", {dead.undated} tanpa waktu dibiarkan" if dead.undated else ""
    click.echo(
        f"retensi {days} hari: isi {dead.redacted} dead letter dihapus (header disimpan), "
        f"{dead.kept} lainnya tetap{undated}"
    )


def _write_generated(files: dict[Path, str], check: bool, command: str) -> None:
    """Write generated files, or with `check` fail naming those that differ from their source."""
    root = REPO_ROOT
    stale = []
    for path, text in files.items():
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        names = ", ".join(str(p.relative_to(root)) for p in stale)
        raise click.ClickException(f"out of date: {names}; run `bamsos {command}`")
    written = ", ".join(str(p.relative_to(root)) for p in files)
    click.echo(f"{command}: up to date" if check else f"{command}: wrote {written}")


@main.group()
def dlq() -> None:
    """Dead letters: what could not be processed, and why."""


@dlq.command("list")
@click.option("--limit", default=50, show_default=True, help="How many to show.")
def dlq_list(limit: int) -> None:
    """Show dead letters (reason, when, which queue, a preview without personal data)."""
    from shared.runtime.deadletters import browse

    total, letters = browse(load_settings().amqp_url, limit)
    click.echo(f"{total} dead letters in bamsos.dead.letters")
    for n, d in enumerate(letters, 1):
        click.echo(f"{n:>4}. {d.dead_at or '?'}  {d.queue or '?'}  {d.reason}  id={d.message_id or '-'}")
        if d.detail:
            click.echo(f"      {d.detail}")
        click.echo(f"      {d.preview}")


@dlq.command("replay")
@click.option("--reason", help="Only dead letters with this reason code.")
@click.option("--queue", help="Only dead letters from this queue, e.g. bamsos.router.")
@click.option("--limit", default=1000, show_default=True)
def dlq_replay(reason: str | None, queue: str | None, limit: int) -> None:
    """Send dead letters back through the queue they came from (idempotent)."""
    from shared.runtime.deadletters import replay

    done, left = replay(load_settings().amqp_url, reason=reason, queue=queue, limit=limit)
    click.echo(f"replayed {done}; {left} left in bamsos.dead.letters")


@main.group()
def dokumen() -> None:
    """Status dokumen pemohon menurut nomor registrasi (ekspor harian kantor)."""


@dokumen.command("impor")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def dokumen_impor(file: Path) -> None:
    """Impor ekspor CSV harian: nomor_registrasi, status (terbit|belum_terbit), jenis_dokumen.

    Baris yang salah disebut dengan nomor barisnya dan dilewati; sisanya disimpan dalam satu
    transaksi. Mengimpor berkas yang sama lagi tidak mengubah apa pun."""
    import pika

    from shared.runtime.storage import make_engine
    from shared.sop.context import citizen_templates
    from shared.sop.documents import ExportError, import_export
    from shared.sop.issued import publish_pending, write_issued_notices
    from shared.sop.offices import the_office

    settings = load_settings()
    templates = citizen_templates(settings, the_office(settings))
    engine = make_engine(settings.database_url)
    now = datetime.now(UTC)
    try:
        with engine.begin() as db:
            report = import_export(db, file.read_bytes(), now)
            told = write_issued_notices(db, templates, now)
        for line, reason in report.rejected:
            click.echo(f"baris {line}: {reason}")
        click.echo(report.summary())
        if told:
            click.echo(f"{told} pemohon yang menunggu dokumennya dikabari bahwa dokumen sudah terbit")
        try:
            publish_pending(engine, settings.amqp_url)
        except pika.exceptions.AMQPError as e:
            raise click.ClickException(
                f"impor tersimpan, tetapi kabar belum terkirim ({type(e).__name__}); "
                "kabar dikirim pada impor berikutnya"
            ) from None
    except ExportError as e:
        raise click.ClickException(f"{file}: {e}; tidak ada yang diimpor") from None
    finally:
        engine.dispose()


@main.group(short_help="Akun masuk petugas ke konsol web (bukan pekerjaannya: itu bamsos staff).")
def petugas() -> None:
    """Akun masuk petugas ke konsol web: tambah, daftar, nonaktifkan.

    Ini hanya akunnya. Pekerjaan petugas (antrean, ambil, jawab) dari terminal: `bamsos staff`.
    """


@petugas.command("tambah")
@click.argument("username")
@click.option("--nama", required=True, help="Nama lengkap petugas, seperti tercetak di kartu kendali.")
@click.option("--unit", "units", multiple=True, help="Unit (antrean) petugas; boleh lebih dari satu.")
@click.option(
    "--peran",
    "roles",
    multiple=True,
    type=click.Choice(["pdp"]),
    help="pdp: pejabat pelindungan data pribadi (log akses, permohonan subjek data; tanpa unit).",
)
@click.option(
    "--password",
    envvar="BAMSOS_PASSWORD",
    hidden=True,
    help="For scripts: the password from BAMSOS_PASSWORD; otherwise it is read from standard input.",
)
def petugas_tambah(
    username: str, nama: str, units: tuple[str, ...], roles: tuple[str, ...], password: str | None
) -> None:
    """Tambah (atau perbarui) petugas; kata sandi dibaca dari masukan standar."""
    from shared.runtime.storage import make_engine
    from shared.sop.offices import the_office
    from shared.staff.actions import Refused
    from shared.staff.officers import add_officer

    if password is None:
        if sys.stdin.isatty():
            password = click.prompt("Kata sandi", hide_input=True, confirmation_prompt="Ulangi kata sandi")
        else:
            password = sys.stdin.readline().rstrip("\n")
    settings = load_settings()
    try:
        officer = add_officer(
            make_engine(settings.database_url),
            the_office(settings).chart,
            username,
            nama,
            list(units),
            password,
            list(roles),
        )
    except Refused as e:
        raise click.ClickException(str(e)) from None
    held = [f"unit: {', '.join(officer.units)}"] if officer.units else []
    held += [f"peran: {', '.join(officer.roles)}"] if officer.roles else []
    click.echo(f"petugas {officer.username} ({officer.name}) disimpan, {'; '.join(held)}")


@petugas.command("daftar")
def petugas_daftar() -> None:
    """Daftar petugas: nama pengguna, nama, aktif atau tidak, unit (dan peran)."""
    from shared.runtime.storage import make_engine
    from shared.staff.officers import list_officers

    for o in list_officers(make_engine(load_settings().database_url)):
        state = "aktif" if o.active else "nonaktif"
        held = ", ".join([*o.units, *(f"peran {r}" for r in o.roles)])
        click.echo(f"{o.username:<20} {o.name:<30} {state:<9} {held}")


@petugas.command("nonaktif")
@click.argument("username")
def petugas_nonaktif(username: str) -> None:
    """Nonaktifkan petugas: ia tidak bisa masuk lagi (riwayatnya di kartu kendali tetap)."""
    from shared.runtime.storage import make_engine
    from shared.staff.actions import Refused
    from shared.staff.officers import deactivate

    try:
        deactivate(make_engine(load_settings().database_url), username)
    except Refused as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"petugas {username} dinonaktifkan")


main.add_command(classify)
main.add_command(kantor)
main.add_command(pdp)
main.add_command(staff)
main.add_command(saran)
for plugin in entry_points(group="bamsos.commands"):
    main.add_command(plugin.load(), plugin.name)


if __name__ == "__main__":
    main()
