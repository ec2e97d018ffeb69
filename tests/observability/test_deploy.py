"""deploy/: the compose file follows the Compose specification and runs the commands the tests run;
the Prometheus config and rules load, and the rules' own unit tests pass (`promtool test rules`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from services.catalog import PROCESSES
from services.generators.k8s_stores import RABBITMQ_IMAGE
from services.generators.observability import DASHBOARD_FILE, DEPLOY_DIR
from tests.observability.compose import COMPOSE_FILE, compose_commands

PROMETHEUS_DIR = DEPLOY_DIR / "prometheus"


def run(*command: str, cwd: Path | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_compose_file_follows_the_compose_specification() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    run(str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE))


def test_compose_runs_setup_then_each_service_with_the_commands_the_tests_run() -> None:
    commands = {name: command[1:] for name, command in compose_commands().items()}
    assert commands == {"setup": ["setup"]} | {name: ["run", name] for name in PROCESSES}
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for name in PROCESSES:
        assert services[name]["depends_on"]["setup"]["condition"] == "service_completed_successfully"


def test_the_gateway_connects_as_the_connector_behind_caddy() -> None:
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    gateway = services["gateway"]
    assert gateway["environment"]["BAMSOS_AMQP_URL"].startswith("amqp://connector:")
    assert "ports" not in gateway  # only Caddy reaches it, and Prometheus on the compose network
    assert "gateway" in services["caddy"]["depends_on"]
    caddyfile = (DEPLOY_DIR / "caddy" / "Caddyfile").read_text()
    assert "handle /webhooks/* {" in caddyfile and "reverse_proxy gateway:8080" in caddyfile


def test_prometheus_config_and_rules_load_and_the_rules_pass_their_unit_tests() -> None:
    run("promtool", "check", "config", "prometheus.yml", cwd=PROMETHEUS_DIR)
    out = run("promtool", "test", "rules", "tests/bamsos.test.yml", cwd=PROMETHEUS_DIR)
    assert "SUCCESS" in out


def test_the_dashboard_uses_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load((DEPLOY_DIR / "grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = provisioned["datasources"][0]["uid"]
    dashboard = json.loads(DASHBOARD_FILE.read_text())
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            continue  # a row's title holds no query
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert all(target["datasource"]["uid"] == uid for target in panel["targets"])


def test_compose_runs_the_clusters_rabbitmq_4_with_quorum_queues_for_every_service() -> None:
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    assert services["rabbitmq"]["image"] == RABBITMQ_IMAGE
    for name in ["setup", *PROCESSES]:
        assert services[name]["environment"]["BAMSOS_QUEUE_TYPE"] == "quorum", name
