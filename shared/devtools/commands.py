"""The development tools' commands: `bamsos demo`, `bamsos bench` and `bamsos chaos`.

They join `bamsos` as plugins (pyproject.toml's entry-point group `bamsos.commands`): the product's
CLI does not import the dev tools.

They run throwaway pipelines on this host's servers; `bamsos chaos` also restarts those servers, so
it refuses to run unless `--restart-host-servers` is spelled out (or it is told to restart none).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from shared.runtime.settings import Settings, load_settings


@click.command()
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
@click.option(
    "--via-gateway",
    is_flag=True,
    help="Send the feed as signed platform webhooks through the gateway, to local fakes of the platforms.",
)
def demo(
    count: int,
    time_scale: float,
    timeout: float,
    calendar: str,
    out: Path,
    dashboard_png: Path | None,
    via_gateway: bool,
) -> None:
    """The whole pipeline on the local servers with a demo feed and simulated staff."""
    from shared.devtools.demo import run_demo

    settings = load_settings().model_copy(update={"time_scale": time_scale, "calendar": calendar})
    code = run_demo(
        settings, count=count, timeout=timeout, out=out, dashboard_png=dashboard_png, via_gateway=via_gateway
    )
    sys.exit(code)


@click.command()
@click.option("--inquiries", "count", default=300, show_default=True)
@click.option("--seconds", default=30.0, show_default=True, help="Spread the feed over this long.")
@click.option("--kill-every", default=2.0, show_default=True, help="Seconds between kill -9s.")
@click.option("--broker-restarts", default=1, show_default=True, help="Restarts of the local RabbitMQ.")
@click.option("--database-restarts", default=1, show_default=True, help="Restarts of the local PostgreSQL.")
@click.option("--copies", default=2, show_default=True, help="Processes of each service (replicas).")
@click.option(
    "--time-scale",
    default=60.0,
    show_default=True,
    help="SOP clock speed: 60 makes a 5-minute standard pass in 5 seconds, so slow staff breach it.",
)
@click.option("--seed", type=int, default=None, help="Replays a run's fault plan (printed in its report).")
@click.option("--deadline", default=600.0, show_default=True, help="Stop and check after this long.")
@click.option(
    "--restart-host-servers",
    is_flag=True,
    help="Agree that the run restarts this host's RabbitMQ and PostgreSQL (every client is cut off).",
)
@click.option(
    "--cluster",
    is_flag=True,
    help="Run on a three-node RabbitMQ cluster started here, with quorum queues; one node is stopped "
    "and another killed while inquiries flow (the host's servers are not restarted).",
)
def chaos(
    count: int,
    seconds: float,
    kill_every: float,
    broker_restarts: int,
    database_restarts: int,
    copies: int,
    time_scale: float,
    seed: int | None,
    deadline: float,
    restart_host_servers: bool,
    cluster: bool,
) -> None:
    """Inject faults into a throwaway pipeline and check nothing was lost or doubled (needs root).

    It runs --copies processes of each service on an SOP clock --time-scale times faster, with part
    of the simulated staff slow so steps breach and notices climb the ladder; kills every service
    (the router most), restarts the broker and the database, on a plan drawn from --seed; then
    checks replies, control cards, paths and notices per ladder level, and exits non-zero if one fails.

    A development tool: besides kill -9 of its own services it restarts the host's RabbitMQ and
    PostgreSQL, which cuts off everything else using them, so it asks for --restart-host-servers.
    """
    from shared.devtools.chaos import run_chaos

    if cluster:
        from shared.devtools.cluster import run_cluster_chaos

        report = run_cluster_chaos(
            load_settings(),
            count=count,
            seconds=seconds,
            seed=seed,
            kill_every=kill_every,
            deadline=deadline,
            copies=copies,
            time_scale=time_scale,
        )
    elif (broker_restarts or database_restarts) and not restart_host_servers:
        raise click.UsageError(
            "this run restarts the host's RabbitMQ and PostgreSQL: add --restart-host-servers, "
            "or --broker-restarts 0 --database-restarts 0"
        )
    else:
        report = run_chaos(
            load_settings(),
            count=count,
            seconds=seconds,
            kill_every=kill_every,
            broker_restarts=broker_restarts,
            database_restarts=database_restarts,
            seed=seed,
            deadline=deadline,
            copies=copies,
            time_scale=time_scale,
        )
    for line in report.lines():
        click.echo(line)
    sys.exit(0 if report.ok else 1)


@click.command()
@click.option("--inquiries", "count", default=5000, show_default=True, help="The flood, for throughput.")
@click.option("--latency-inquiries", default=2000, show_default=True, help="Sent at a fixed rate.")
@click.option("--load", default=0.5, show_default=True, help="That rate, as a share of the throughput.")
@click.option("--routers", default=1, show_default=True, help="Copies of the router.")
@click.option("--intakes", default=1, show_default=True, help="Copies of intake.")
@click.option("--scale-out", is_flag=True, help="Also run with 2 copies of intake and of the router.")
@click.option("--references/--no-references", default=True, show_default=True)
@click.option(
    "--laporan-cases",
    type=int,
    multiple=True,
    help="Also time the laporan (PDF, XLSX, CSV) over this many generated cases; repeatable.",
)
@click.option(
    "--profile",
    type=click.Path(path_type=Path, file_okay=False),
    help="Sample every service with py-spy during the flood; DIR/summary.txt says where time went.",
)
@click.option(
    "--standby",
    type=click.Choice(["sync", "async"]),
    help="Run on a throwaway primary with a streaming standby on this machine (free ports from 5442), "
    "synchronous or not, instead of BAMSOS_DATABASE_URL's server: the cost of a recovery point of zero.",
)
@click.option("--out", type=click.Path(path_type=Path), default=Path("bench-results.json"))
def bench(
    count: int,
    latency_inquiries: int,
    load: float,
    routers: int,
    intakes: int,
    scale_out: bool,
    references: bool,
    laporan_cases: tuple[int, ...],
    profile: Path | None,
    standby: str | None,
    out: Path,
) -> None:
    """Measure the pipeline against a bare and a naive chain in the same run (needs root)."""
    import contextlib

    from shared.devtools.bench import run_bench, to_json_file

    stack = contextlib.ExitStack()
    settings = _bench_settings(standby, stack)
    plans = [{"router": routers, "intake": intakes}]
    if scale_out:
        plans.append({"router": max(2, routers + 1), "intake": max(2, intakes + 1)})
    with stack:
        runs = [
            run_bench(
                settings,
                count=count,
                latency_count=latency_inquiries,
                load_share=load,
                copies=plan,
                references=references and n == 0,
                profile=profile / f"run-{n + 1}" if profile else None,
            )
            for n, plan in enumerate(plans)
        ]
    for result in runs:
        for line in result.lines():
            click.echo(line)
        click.echo()
    laporan = None
    if laporan_cases:
        import tempfile

        from shared.devtools import laporan_bench

        with tempfile.TemporaryDirectory(prefix="bamsos-laporan-bench-") as tmp:
            laporan = laporan_bench.run(list(laporan_cases), Path(tmp))
    to_json_file(runs, str(out), laporan)
    click.echo(f"results: {out}")
    if any(result.failures for result in runs):
        sys.exit(1)


def _bench_settings(standby: str | None, stack: Any) -> Settings:
    """The settings, on a throwaway primary and standby pair (`--standby`) that `stack` removes."""
    settings = load_settings()
    if standby:
        from shared.devtools.postgres_servers import postgres_standby

        pair = stack.enter_context(postgres_standby(synchronous=standby == "sync"))
        settings = settings.model_copy(update={"database_url": pair.url("postgres")})
        ports = f"{pair.primary_port} and {pair.standby_port}"
        click.echo(f"database: a primary and its streaming standby ({pair.standby_state()}) on {ports}")
    return settings
