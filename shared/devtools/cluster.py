"""A RabbitMQ cluster of three nodes on this machine, for the cluster tests and `bamsos chaos --cluster`.

Debian's `rabbitmq-server`, run as the `rabbitmq` user (so every node shares that user's Erlang
cookie, as the host node does), once per node with its own node name (`bamsos-<tag>-<n>`, a tag per
cluster), free ports (AMQP from 5701, Erlang distribution +20000: clear of the host node's 5672 and
25672), data and log folders, config file (the host's pins port 5672) and plugin list (none: the
management plugin would want port 15672). Node 0 starts first; the others `join_cluster` it (about
15 s in all). Needs root. Everything lives in one temporary folder, removed with the nodes. With
a certificate (`tls`), a node takes AMQP over TLS only, as deploy/k8s/'s brokers do. PostgreSQL's
throwaway servers are in `postgres_servers.py`.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from shared.devtools.certificates import TlsFiles
from shared.devtools.chaos import DEFAULT_TIME_SCALE, ChaosReport, run_chaos
from shared.runtime import logs
from shared.runtime.settings import Settings

log = logs.get("bamsos.cluster")

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # the script itself: Debian's wrapper daemonises
CTL = "rabbitmqctl"  # Debian's wrapper: run as root, it runs the tool as `rabbitmq`
# Clear of the host node (5672, 25672) and its CLI's distribution ports (35672-35682).
FIRST_AMQP_PORT = 5701
START_TIMEOUT = 120.0


@dataclass
class Node:
    name: str  # e.g. bamsos-3f9a1c-1@localhost
    port: int  # AMQP
    env: dict[str, str]
    log_file: Path
    process: subprocess.Popen[bytes] | None = None  # the start script's (it waits for the VM)
    vm_pid: int = 0  # beam.smp's, from the pid file the node writes as it starts


class RabbitCluster:
    """Nodes clustered together; see `rabbit_cluster` for how to get one."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes

    @property
    def urls(self) -> list[str]:
        """One AMQP URL per node, vhost "/"."""
        return [f"amqp://guest:guest@127.0.0.1:{n.port}/%2F" for n in self.nodes]

    def amqp_url(self, vhost: str = "/") -> str:
        """Every node's URL for `vhost`, comma-separated: what BAMSOS_AMQP_URL takes for a cluster."""
        path = quote(vhost, safe="")
        return ",".join(f"amqp://guest:guest@127.0.0.1:{n.port}/{path}" for n in self.nodes)

    def ctl(self, i: int) -> list[str]:
        return [CTL, "-n", self.nodes[i].name]

    def start_node(self, i: int) -> None:
        """Start node i (again: a stopped or killed node rejoins the cluster from its data)."""
        node = self.nodes[i]
        node.vm_pid = 0
        with node.log_file.open("ab") as out:
            node.process = subprocess.Popen(
                [SERVER], env=node.env, user="rabbitmq", group="rabbitmq", stdout=out, stderr=out
            )
        self._await_startup(i)
        node.vm_pid = int(Path(node.env["RABBITMQ_PID_FILE"]).read_text().strip())

    def stop_node(self, i: int) -> None:
        """Stop node i cleanly (`rabbitmqctl stop`): its clients see the connection closed."""
        self._run(i, "stop")
        node = self.nodes[i]
        if node.process is not None:
            node.process.wait(timeout=60)
            node.process = None

    def kill_node(self, i: int) -> None:
        """`kill -9` node i's Erlang VM: its clients see the socket die, nothing is flushed."""
        node = self.nodes[i]
        if node.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(node.vm_pid or node.process.pid, signal.SIGKILL)
        node.process.wait(timeout=30)  # the script's process ends with its VM
        node.process = None

    def running(self, i: int) -> bool:
        return self.nodes[i].process is not None

    def _run(self, i: int, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.ctl(i), "-q", *args], check=True, capture_output=True, text=True, timeout=timeout
        )

    def _await_startup(self, i: int) -> None:
        """Until node i runs: `await_startup` fails at once while its VM is not up yet."""
        node = self.nodes[i]
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if node.process is not None and node.process.poll() is not None:
                raise RuntimeError(f"{node.name} exited at start; see {node.log_file}")
            awaited = subprocess.run(
                [*self.ctl(i), "-q", "await_startup", "--timeout", "60"], capture_output=True, timeout=90
            )
            if awaited.returncode == 0:
                return
            time.sleep(0.5)
        raise RuntimeError(f"{node.name} did not start within {START_TIMEOUT:.0f} s; see {node.log_file}")

    def _join(self, i: int) -> None:
        self._run(i, "stop_app")
        self._run(i, "join_cluster", self.nodes[0].name)
        self._run(i, "start_app")


def _free_ports(count: int) -> int:
    """The first of `count` consecutive AMQP ports, each with its distribution port (+20000), that
    nothing listens on; searched from a random point so that two clusters started at once part."""
    candidates = list(range(FIRST_AMQP_PORT, FIRST_AMQP_PORT + 300, count))
    random.shuffle(candidates)
    for first in candidates:
        if all(bindable(p) and bindable(p + 20000) for p in range(first, first + count)):
            return first
    raise RuntimeError(f"no {count} free ports from {FIRST_AMQP_PORT} on")


def bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _node(base: Path, name: str, port: int, host_env: dict[str, str], tls: TlsFiles | None) -> Node:
    folder = base / name
    folder.mkdir()
    config = folder / "rabbitmq.conf"
    config.write_text(_listeners(port, tls))
    (folder / "enabled_plugins").write_text("[].\n")
    (folder / "rabbitmq-env.conf").write_text("")  # not the host's (it names the node rabbit@localhost)
    env = dict(
        host_env,
        HOME="/var/lib/rabbitmq",  # the rabbitmq user's cookie, shared with the host node
        RABBITMQ_NODENAME=f"{name}@localhost",
        RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
        RABBITMQ_NODE_PORT=str(port),
        RABBITMQ_DIST_PORT=str(port + 20000),
        RABBITMQ_MNESIA_BASE=str(folder / "mnesia"),
        RABBITMQ_LOG_BASE=str(folder / "log"),
        RABBITMQ_CONFIG_FILE=str(config),
        RABBITMQ_ENABLED_PLUGINS_FILE=str(folder / "enabled_plugins"),
        RABBITMQ_CONF_ENV_FILE=str(folder / "rabbitmq-env.conf"),
        RABBITMQ_PID_FILE=str(folder / "pid"),
        # As the host's rabbitmq-env.conf: Erlang distribution on loopback only.
        ERL_EPMD_ADDRESS="127.0.0.1",
        ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}",
    )
    return Node(f"{name}@localhost", port, env, folder / "server.log")


def _listeners(port: int, tls: TlsFiles | None) -> str:
    """A node's AMQP listener: plain, or TLS alone (no plain listener at all) with `tls`."""
    if tls is None:
        return f"listeners.tcp.local = 127.0.0.1:{port}\n"
    return "\n".join(
        [
            "listeners.tcp = none",
            f"listeners.ssl.default = 127.0.0.1:{port}",
            f"ssl_options.cacertfile = {tls.ca}",
            f"ssl_options.certfile = {tls.cert}",
            f"ssl_options.keyfile = {tls.key}",
            "ssl_options.verify = verify_none",  # the clients check the server; no client certificates
            "",
        ]
    )


@contextmanager
def rabbit_cluster(nodes: int = 3, tls: TlsFiles | None = None) -> Iterator[RabbitCluster]:
    """Start `nodes` RabbitMQ nodes on this machine, clustered; stop them and remove their data after.
    With `tls`, each node listens for AMQP over TLS only (on its port, amqps://)."""
    if os.geteuid() != 0 or shutil.which(CTL) is None or not Path(SERVER).exists():
        raise RuntimeError("a local RabbitMQ cluster needs root and Debian's rabbitmq-server package")
    base = Path(tempfile.mkdtemp(prefix="bamsos-cluster-"))
    # Node names of their own: a node left over by another run is never taken for one of ours.
    tag, first_port = uuid.uuid4().hex[:6], _free_ports(nodes)
    host_env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
    cluster = RabbitCluster(
        [_node(base, f"bamsos-{tag}-{i + 1}", first_port + i, host_env, tls) for i in range(nodes)]
    )
    for path in [base, *base.rglob("*")]:
        shutil.chown(path, "rabbitmq", "rabbitmq")
    started = time.monotonic()
    try:
        for i in range(nodes):
            cluster.start_node(i)
        for i in range(1, nodes):
            cluster._join(i)
        log.info("cluster_started", nodes=nodes, seconds=round(time.monotonic() - started, 1))
        yield cluster
    finally:
        try:
            _tear_down(cluster)
        finally:
            shutil.rmtree(base, ignore_errors=True)


def _tear_down(cluster: RabbitCluster) -> None:
    """Stop every node still running (the last ones cleanly; one that won't stop is killed)."""
    for i in reversed(range(len(cluster.nodes))):
        if cluster.running(i):
            try:
                cluster.stop_node(i)
            except (subprocess.SubprocessError, OSError):
                cluster.kill_node(i)


# --- the cluster's chaos run (`bamsos chaos --cluster`) ------------------------------------------

# How long a node fault keeps its node away before it is started again (it then rejoins).
NODE_DOWN_SECONDS = 5.0


def node_outage(cluster: RabbitCluster, i: int, how: Callable[[int], None]) -> None:
    """Take node i away (`how`: stop_node or kill_node), hold it down, start it again.

    Each fault ends with its node back: with three nodes, a quorum queue needs two, so the run
    never has two nodes down at once (its fault thread runs faults one after the other)."""
    how(i)
    time.sleep(NODE_DOWN_SECONDS)  # the services and the publishers fail over meanwhile
    cluster.start_node(i)


def run_cluster_chaos(
    settings: Settings,
    *,
    count: int,
    seconds: float,
    seed: int | None,
    kill_every: float | None = None,
    deadline: float = 900.0,
    copies: int = 2,
    time_scale: float = DEFAULT_TIME_SCALE,
    cluster: RabbitCluster | None = None,
) -> ChaosReport:
    """The chaos run on a three-node cluster with quorum queues: service kills all along (every
    `kill_every` s, by default a tenth of `seconds`), node 1 stopped at 30 % of the time and node
    2 `kill -9`ed at 60 %, each back after NODE_DOWN_SECONDS; then the same checks. On `cluster`
    when given (a test's), else on one started here and removed after."""
    with contextlib.ExitStack() as stack:
        nodes = cluster or stack.enter_context(rabbit_cluster(nodes=3))
        on_cluster = settings.model_copy(update={"amqp_url": nodes.amqp_url(), "queue_type": "quorum"})
        return run_chaos(
            on_cluster,
            count=count,
            seconds=seconds,
            kill_every=kill_every or seconds / 10,
            broker_restarts=0,
            database_restarts=0,
            seed=seed,
            deadline=deadline,
            copies=copies,
            time_scale=time_scale,
            rabbitmqctl=nodes.ctl(0),
            extra_faults=[
                (0.3, "node_stop", lambda: node_outage(nodes, 1, nodes.stop_node)),
                (0.6, "node_kill", lambda: node_outage(nodes, 2, nodes.kill_node)),
            ],
        )
