"""Throwaway PostgreSQL servers on this machine, beside the host's (never on 5432): a primary with
a streaming standby (Debian's pg_createcluster; synchronous unless said) for the failover tests
and `bamsos bench --standby`, and a server on TLS alone with a test CA for tests/cluster/test_tls.py.
Needs root."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from shared.devtools.certificates import TlsFiles
from shared.devtools.chaos import ChaosReport, run_chaos
from shared.devtools.cluster import bindable
from shared.runtime.settings import Settings

FIRST_PG_PORT = 5442  # clear of the host's 5432


@dataclass(frozen=True)
class PostgresPair:
    """A primary and its streaming standby (Debian's pg_createcluster), on loopback ports; with
    `synchronous`, the primary's commit returns only once the standby has the transaction on disk
    (`synchronous_standby_names = '*'`, `synchronous_commit = on`), as CloudNativePG's
    `synchronous: {method: any, number: 1, dataDurability: required}` does."""

    version: str
    primary_port: int
    standby_port: int
    synchronous: bool

    @property
    def primary(self) -> str:
        return f"bamsos_primary_{self.primary_port}"  # never the host's `main`

    @property
    def standby(self) -> str:
        return f"bamsos_standby_{self.standby_port}"

    def url(self, database: str) -> str:
        """Both servers in one URL: libpq tries them in turn and keeps the one that takes writes, so
        the services follow the standby once it is promoted."""
        hosts = f"host=127.0.0.1:{self.primary_port}&host=127.0.0.1:{self.standby_port}"
        return f"postgresql+psycopg2://postgres@/{database}?{hosts}&target_session_attrs=read-write"

    def stop_primary(self) -> None:
        _pg_ctl(self.version, self.primary, "stop", "-m", "fast")

    def kill_primary(self) -> None:
        """The primary's machine gone at once: every process of the server frozen (SIGSTOP), then
        `kill -9`ed. Killing the postmaster alone would let its backends and its WAL sender run
        on for a moment, finishing commits and streaming them, as a lost node never does."""
        server = _server_processes(self.version, self.primary)
        for how in (signal.SIGSTOP, signal.SIGKILL):
            for process in server:
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.send_signal(how)

    def stall_replication(self) -> None:
        """Freeze the primary's WAL sender: the standby falls behind, as behind a slow network or
        disk (what is already in a socket's buffer still arrives). A synchronous primary's commits
        wait for it meanwhile; an asynchronous one's are acknowledged all the same."""
        for process in _server_processes(self.version, self.primary):
            with contextlib.suppress(psutil.NoSuchProcess):
                if "walsender" in " ".join(process.cmdline()):
                    process.send_signal(signal.SIGSTOP)

    def promote_standby(self) -> None:
        _pg_ctl(self.version, self.standby, "promote")

    def standby_state(self) -> str:
        """The standby as the primary sees it: `sync` or `async` (pg_stat_replication), "" if none."""
        query = "SELECT sync_state FROM pg_stat_replication"
        psql = ["runuser", "-u", "postgres", "--", "psql", "-h", "127.0.0.1", "-p", str(self.primary_port)]
        done = subprocess.run([*psql, "-Atc", query], capture_output=True, text=True, timeout=30)
        return done.stdout.strip()


def _server_processes(version: str, name: str) -> list[psutil.Process]:
    """A server's postmaster and every process under it."""
    pid_file = Path(f"/var/lib/postgresql/{version}/{name}/postmaster.pid")
    postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
    return [postmaster, *postmaster.children(recursive=True)]


def _pg_ctl(version: str, name: str, *args: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, *args],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _drop_pg(version: str, name: str) -> None:
    subprocess.run(["pg_dropcluster", "--stop", version, name], capture_output=True, timeout=120)


def free_pg_ports() -> tuple[int, int]:
    """Two consecutive free ports from FIRST_PG_PORT on, for a primary and its standby."""
    for port in range(FIRST_PG_PORT, FIRST_PG_PORT + 100, 2):
        if bindable(port) and bindable(port + 1):
            return port, port + 1
    raise RuntimeError(f"no two free ports from {FIRST_PG_PORT} on")


@contextmanager
def postgres_standby(
    primary_port: int | None = None, standby_port: int | None = None, *, synchronous: bool = True
) -> Iterator[PostgresPair]:
    """A throwaway primary and a standby streaming from it (`pg_basebackup -R`), on free ports unless
    given; both dropped afterwards. Needs root; the host's cluster is not touched. Synchronous unless
    said: a commit the primary acknowledged is on the standby too, so a promotion loses none."""
    if primary_port is None or standby_port is None:
        primary_port, standby_port = free_pg_ports()
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    pair = PostgresPair(version, primary_port, standby_port, synchronous)
    standby_data = Path(f"/var/lib/postgresql/{version}/{pair.standby}")
    for name in (pair.primary, pair.standby):
        _drop_pg(version, name)  # left over by a run that was itself killed
    try:
        for name, port in ((pair.primary, primary_port), (pair.standby, standby_port)):
            # Trust on loopback, replication included: these servers live for one test run.
            options = ["-o", "synchronous_standby_names=*"] if synchronous and port == primary_port else []
            subprocess.run(
                ["pg_createcluster", version, name, "-p", str(port), *options, "--", "--auth=trust"],
                check=True,
                capture_output=True,
                timeout=120,
            )
        _pg_ctl(version, pair.primary, "start")
        for entry in standby_data.iterdir():  # the standby's data comes from the primary instead
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        source = ["-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres"]
        subprocess.run(
            ["runuser", "-u", "postgres", "--", "pg_basebackup", *source, "-D", str(standby_data), "-R"],
            check=True,
            capture_output=True,
            timeout=300,
        )
        _pg_ctl(version, pair.standby, "start")
        _await_streaming(pair)
        yield pair
    finally:
        for name in (pair.standby, pair.primary):
            _drop_pg(version, name)


def _await_streaming(pair: PostgresPair, timeout: float = 60.0) -> None:
    """Until the primary sees its standby streaming (in sync, when synchronous)."""
    wanted = "sync" if pair.synchronous else "async"
    deadline = time.monotonic() + timeout
    while pair.standby_state() != wanted:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the standby on {pair.standby_port} is not streaming ({wanted})")
        time.sleep(0.2)


# How far the standby falls behind before the primary dies, and how long the primary stays dead
# before its standby is promoted (an operator's failover delay).
STANDBY_LAG_SECONDS = 2.0
PROMOTE_AFTER_SECONDS = 2.0


def primary_failover(pair: PostgresPair) -> None:
    """Replication stalled for STANDBY_LAG_SECONDS, then the primary's machine lost (`kill -9` of
    all its processes) and the standby promoted PROMOTE_AFTER_SECONDS later, with what it
    received. Asynchronous, the primary acknowledged commits the standby never got; synchronous,
    those commits were still waiting for it, and their clients were never told they were done."""
    pair.stall_replication()
    time.sleep(STANDBY_LAG_SECONDS)
    pair.kill_primary()
    time.sleep(PROMOTE_AFTER_SECONDS)  # the services see the database gone meanwhile
    pair.promote_standby()


def run_failover_chaos(
    settings: Settings, pair: PostgresPair, *, count: int, seconds: float, seed: int | None
) -> ChaosReport:
    """The chaos run on `pair` with no fault but one, `primary_failover` at 60 % of the feed's
    `seconds` (the services busy by then: ten processes take some seconds to start on two cores);
    then the same checks (every inquiry answered once, the cards whole, the laporan's counts)."""
    on_pair = settings.model_copy(update={"database_url": pair.url("postgres")})
    return run_chaos(
        on_pair,
        count=count,
        seconds=seconds,
        kill_every=seconds * 2,  # no service killed: the database's failover alone
        broker_restarts=0,
        database_restarts=0,
        seed=seed,
        deadline=240,  # work lost with the primary never settles: fail rather than wait 10 minutes
        extra_faults=[(0.6, "primary_kill", lambda: primary_failover(pair))],
    )


# --- a server on TLS alone -------------------------------------------------------------------------

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*argv: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True, timeout=120)


@contextmanager
def postgres_on_tls(tls: TlsFiles) -> Iterator[int]:
    """A throwaway server (initdb, pg_ctl) in a temporary folder on a free port, that takes TCP
    connections over TLS only (`hostssl` in pg_hba.conf, nothing else), with `tls`'s certificate;
    yields its port; stopped and removed after. Trust authentication: TLS is what is tested."""
    port, _ = free_pg_ports()
    base = Path(tempfile.mkdtemp(prefix="bamsos-pg-tls-"))
    data = base / "data"
    try:
        for name, source in (("server.crt", tls.cert), ("server.key", tls.key)):
            shutil.copy(source, base / name)
        for path in (base, base / "server.crt", base / "server.key"):
            shutil.chown(path, "postgres", "postgres")
        (base / "server.key").chmod(0o600)
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres")
        (data / "pg_hba.conf").write_text(
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n"
        )
        options = " ".join(
            [
                f"-p {port}",
                "-c listen_addresses=localhost",
                f"-c unix_socket_directories={base}",
                "-c ssl=on",
                f"-c ssl_cert_file={base / 'server.crt'}",
                f"-c ssl_key_file={base / 'server.key'}",
            ]
        )
        _as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"
        )
        yield port
    finally:
        if (data / "postmaster.pid").exists():
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
