"""`bamsos`: the one console command (setup, run, demo, laporan, contract)."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click

from shared import logs
from shared.commands.classify_cli import classify
from shared.commands.staff_terminal import staff
from shared.errors import ConfigError
from shared.laporan import FORMATS, Format, Period
from shared.settings import SERVICES, Settings


def _settings() -> Settings:
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    return settings


def _day(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date as YYYY-MM-DD") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """BAMSOS: citizens' social-media inquiries to Dukcapil, answered by the SOP."""


@main.command()
def setup() -> None:
    """Declare the RabbitMQ topology and create/migrate the database (idempotent)."""
    from shared.runner import setup as do_setup

    settings = _settings()
    try:
        do_setup(settings)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    click.echo("setup done: topology declared, database migrated")


@main.command()
@click.argument("service", type=click.Choice(["all", *SERVICES]))
def run(service: str) -> None:
    """Run one service, or `all` five (each its own process). Stops on SIGTERM / Ctrl-C."""
    from shared import runner

    if service == "all":
        _settings()
        runner.run_all(list(SERVICES))
    else:
        runner.main(service)


@main.command()
@click.option("--inquiries", "count", default=40, show_default=True, help="How many to send.")
@click.option(
    "--time-scale",
    default=60.0,
    show_default=True,
    help="SOP clock speed: 60 makes a 5-minute standard pass in 5 seconds.",
)
@click.option("--timeout", default=180.0, show_default=True, help="Seconds to wait for replies.")
@click.option(
    "--calendar",
    type=click.Choice(["24x7", "office"]),
    default="24x7",
    show_default=True,
    help="The demo runs at any hour: by default every second counts toward the standards.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("laporan-demo"),
    show_default=True,
    help="The month's laporan is written to this name with .pdf, .xlsx and .csv.",
)
@click.option(
    "--dashboard-png",
    type=click.Path(path_type=Path),
    help="Also run a local Prometheus (Debian's) with deploy/'s rules and draw the dashboard here.",
)
def demo(
    count: int, time_scale: float, timeout: float, calendar: str, out: Path, dashboard_png: Path | None
) -> None:
    """The whole pipeline on the local servers with a demo feed and simulated staff."""
    from shared.demo import run_demo

    settings = _settings().model_copy(update={"time_scale": time_scale, "calendar": calendar})
    sys.exit(run_demo(settings, count=count, timeout=timeout, out=out, dashboard_png=dashboard_png))


def _period(first: str | None, last: str | None, month: str | None) -> Period:
    if month:
        if first or last:
            raise click.UsageError("give --bulan or --from/--to, not both")
        try:
            return Period.month(month)
        except ValueError:
            raise click.BadParameter(f"'{month}' is not a month as YYYY-MM", param_hint="--bulan") from None
    if not first:
        raise click.UsageError("give --from (and --to) or --bulan")
    start = _day(first)
    end = _day(last) if last else start
    if end < start:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    return Period(start, end)


@main.command()
@click.option("--from", "first", help="First day, YYYY-MM-DD (WIB).")
@click.option("--to", "last", help="Last day, YYYY-MM-DD (WIB); default: the first day.")
@click.option("--bulan", "month", help="A whole month, YYYY-MM, instead of --from/--to.")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), help="Default: the extension of --out (.pdf, .xlsx, .csv)."
)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--mask", is_flag=True, help="Mask the citizens' personal data in the register.")
def laporan(
    first: str | None, last: str | None, month: str | None, fmt: Format | None, out: Path, mask: bool
) -> None:
    """Write the laporan (report of the requests received) of a period: PDF, XLSX or CSV."""
    from shared.laporan import Office, count_text, write_laporan
    from shared.storage import make_engine

    period = _period(first, last, month)
    fmt = fmt or _format_of(out)
    settings = _settings()
    engine, office = make_engine(settings.database_url), Office.from_settings(settings)
    received = write_laporan(engine, period, fmt, out, office=office, mask=mask)
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
    from shared.contract_docs import render_all

    _write_generated(render_all(), check, "contract")


@main.command("deploy-files")
@click.option("--check", is_flag=True, help="Fail if the committed files are out of date.")
def deploy_files(check: bool) -> None:
    """Write (or --check) the generated files under deploy/: Prometheus rules, Grafana dashboard,
    RabbitMQ users and permissions (for the organisation chart in use)."""
    from shared import access, observability
    from shared.orgchart import load_chart

    chart = load_chart(_settings().org_chart)
    files = observability.render_all() | {access.DEFINITIONS_FILE: access.render(chart)}
    _write_generated(files, check, "deploy-files")


@main.command()
@click.option(
    "--hari", "days", type=click.IntRange(min=1), help="Age in days; default BAMSOS_RETENTION_DAYS."
)
def retensi(days: int | None) -> None:
    """Erase the personal data of cases answered more than N days ago (UU 27/2022); counts stay."""
    from shared.retention import erase_personal_data
    from shared.storage import make_engine

    settings = _settings()
    days = days or settings.retention_days
    erased = erase_personal_data(
        make_engine(settings.database_url), older_than_days=days, now=datetime.now(UTC)
    )
    click.echo(
        f"retensi {days} hari: data pribadi {erased.cases} kasus dihapus, "
        f"{erased.messages} pesan terkirim dibuang"
    )


def _write_generated(files: dict[Path, str], check: bool, command: str) -> None:
    """Write generated files, or with `check` fail naming those that differ from their source."""
    root = Path(__file__).resolve().parent.parent
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


@main.command()
@click.option("--inquiries", "count", default=300, show_default=True)
@click.option("--seconds", default=30.0, show_default=True, help="Spread the feed over this long.")
@click.option("--kill-every", default=2.0, show_default=True, help="Seconds between kill -9s.")
@click.option("--broker-restarts", default=1, show_default=True, help="Restarts of the local RabbitMQ.")
@click.option("--database-restarts", default=1, show_default=True, help="Restarts of the local PostgreSQL.")
@click.option("--seed", type=int, default=None)
def chaos(
    count: int,
    seconds: float,
    kill_every: float,
    broker_restarts: int,
    database_restarts: int,
    seed: int | None,
) -> None:
    """Inject faults into a running pipeline and check nothing was lost or doubled (needs root)."""
    from shared.chaos import run_chaos

    report = run_chaos(
        _settings(),
        count=count,
        seconds=seconds,
        kill_every=kill_every,
        broker_restarts=broker_restarts,
        database_restarts=database_restarts,
        seed=seed,
    )
    for line in report.lines():
        click.echo(line)
    sys.exit(0 if report.ok else 1)


@main.command()
@click.option("--inquiries", "count", default=5000, show_default=True, help="The flood, for throughput.")
@click.option("--latency-inquiries", default=2000, show_default=True, help="Sent at a fixed rate.")
@click.option("--load", default=0.5, show_default=True, help="That rate, as a share of the throughput.")
@click.option("--routers", default=1, show_default=True, help="Copies of the router.")
@click.option("--scale-out", is_flag=True, help="Also run with 2 routers, to compare.")
@click.option("--references/--no-references", default=True, show_default=True)
@click.option(
    "--laporan-cases",
    type=int,
    multiple=True,
    help="Also time the laporan (PDF, XLSX, CSV) over this many generated cases; repeatable.",
)
@click.option("--out", type=click.Path(path_type=Path), default=Path("bench-results.json"))
def bench(
    count: int,
    latency_inquiries: int,
    load: float,
    routers: int,
    scale_out: bool,
    references: bool,
    laporan_cases: tuple[int, ...],
    out: Path,
) -> None:
    """Measure the pipeline against a bare and a naive chain in the same run (needs root)."""
    from shared.bench import run_bench, to_json_file

    settings = _settings()
    runs = [
        run_bench(
            settings,
            count=count,
            latency_count=latency_inquiries,
            load_share=load,
            routers=routers,
            references=references,
        )
    ]
    if scale_out:
        runs.append(
            run_bench(
                settings,
                count=count,
                latency_count=latency_inquiries,
                load_share=load,
                routers=max(2, routers + 1),
                references=False,
            )
        )
    for result in runs:
        for line in result.lines():
            click.echo(line)
        click.echo()
    laporan = None
    if laporan_cases:
        import tempfile

        from shared.laporan import bench as laporan_bench

        with tempfile.TemporaryDirectory(prefix="bamsos-laporan-bench-") as tmp:
            laporan = laporan_bench.run(list(laporan_cases), Path(tmp))
    to_json_file(runs, str(out), laporan)
    click.echo(f"results: {out}")


@main.group()
def dlq() -> None:
    """Dead letters: what could not be processed, and why."""


@dlq.command("list")
@click.option("--limit", default=50, show_default=True, help="How many to show.")
def dlq_list(limit: int) -> None:
    """Show dead letters (reason, when, which queue, a preview without personal data)."""
    from shared.deadletters import browse

    total, letters = browse(_settings().amqp_url, limit)
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
    from shared.deadletters import replay

    done, left = replay(_settings().amqp_url, reason=reason, queue=queue, limit=limit)
    click.echo(f"replayed {done}; {left} left in bamsos.dead.letters")


main.add_command(classify)
main.add_command(staff)


if __name__ == "__main__":
    main()
