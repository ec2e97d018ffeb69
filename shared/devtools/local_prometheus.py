"""A real Prometheus (Debian's `prometheus`) on this machine, with deploy/'s config and rules.

Used by the observability tests and by `bamsos demo --dashboard-png`: the same scrape config and
rule files as deploy/compose.yaml, with the targets pointed at local processes and every interval
shortened so a short run fills the panels.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from services.generators.observability import DEPLOY_DIR, RULES_FILE


class PrometheusError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def local_config(ports: dict[str, int], interval: str) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with the services at 127.0.0.1:<port> and `interval`."""
    config: dict[str, Any] = yaml.safe_load((DEPLOY_DIR / "prometheus" / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": interval, "evaluation_interval": interval}
    config["rule_files"] = ["rules.yml"]
    jobs = []
    for job in config["scrape_configs"]:
        if job["job_name"] != "bamsos":
            continue  # RabbitMQ's plugin is not enabled on these machines
        # Only the processes this run has (the demo may run without the gateway).
        job["static_configs"] = [s for s in job["static_configs"] if s["labels"]["worker"] in ports]
        for static in job["static_configs"]:
            static["targets"] = [f"127.0.0.1:{ports[static['labels']['worker']]}"]
        jobs.append(job)
    config["scrape_configs"] = jobs
    return config


def local_rules(interval: str) -> dict[str, Any]:
    rules: dict[str, Any] = yaml.safe_load(RULES_FILE.read_text())
    for group in rules["groups"]:
        group["interval"] = interval
    return rules


@contextmanager
def local_prometheus(ports: dict[str, int], *, interval: str = "1s") -> Iterator[str]:
    """Run Prometheus scraping the services on `ports` (service -> port); yields its base URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise PrometheusError("`prometheus` is not installed: apt-get install prometheus")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bamsos-prometheus-") as tmp:
        home = Path(tmp)
        (home / "prometheus.yml").write_text(yaml.safe_dump(local_config(ports, interval)))
        (home / "rules.yml").write_text(yaml.safe_dump(local_rules(interval)))
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={home / 'prometheus.yml'}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(home / "prometheus.log").open("wb"),
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _await_ready(url, process, home / "prometheus.log")
            yield url
        finally:
            process.terminate()
            process.wait(30)


def _await_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PrometheusError(f"prometheus exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise PrometheusError("prometheus did not become ready in 30 s")


def api(url: str, path: str, **params: str) -> Any:
    """GET one Prometheus HTTP API endpoint; its `data`, or PrometheusError with its error text."""
    query = urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(f"{url}/api/v1/{path}?{query}", timeout=10) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        body = json.load(error)
    if body.get("status") != "success":
        raise PrometheusError(f"{body.get('errorType')}: {body.get('error')} ({params})")
    return body["data"]


def query(url: str, expr: str) -> list[dict[str, Any]]:
    """An instant query's series: [{"metric": {...}, "value": [t, "v"]}, ...]."""
    result: list[dict[str, Any]] = api(url, "query", query=expr)["result"]
    return result


def by_label(url: str, expr: str, label: str) -> dict[str, float]:
    return {series["metric"].get(label, ""): float(series["value"][1]) for series in query(url, expr)}
