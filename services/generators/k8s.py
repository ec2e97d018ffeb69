"""The Kubernetes manifests under `deploy/k8s/`, written from the catalog, the settings, the topology
and the observability generator, so that a port, a queue, a setting, the dashboard and the alert
rules each have one source. `bamsos deploy-files` writes them, `--check` fails when they drift;
`tests/observability/test_k8s.py` validates them against the Kubernetes and the operators' schemas,
`test_k8s_production.py` reads them beside the operators' documentation.

What runs where (deploy/k8s/README.md says why): the broker and the database (`k8s_stores`: the
RabbitMQ cluster operator's `RabbitmqCluster`, a CloudNativePG `Cluster` with a synchronous standby
and backups), one Deployment per BAMSOS process (`k8s_pods`), NetworkPolicies and the TLS URLs
(`k8s_network`); here: the config and Secrets, KEDA `ScaledObject`s on the workers' queues,
prometheus-operator `PodMonitor`s and a `PrometheusRule`, the Grafana dashboard as a ConfigMap for
Grafana's sidecar, and the files.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import SecretStr

from services import catalog
from services.generators import access, k8s_network, k8s_pods, k8s_stores, observability
from services.generators.k8s_common import (
    AMQP_CA_FILE,
    AMQP_SECRET,
    AMQPS_PORT,
    BACKUP_SECRET,
    CONFIG,
    CONSOLE_SECRET,
    DB_SERVICE_SECRET,
    NAMESPACE,
    PLATFORMS_SECRET,
    POSTGRES,
    PROMETHEUS_RELEASE,
    RABBITMQ,
    RABBITMQ_ADMIN_SECRET,
    RABBITMQ_CA_SECRET,
    SERVICE_LOGIN,
    doc,
    kube_name,
    labels,
    rabbitmq_node_hosts,
    service_host,
)
from services.generators.k8s_pods import SETUP, WEB_PORTS
from services.generators.k8s_stores import POSTGRES_POD, RABBITMQ_POD
from shared.runtime import topology
from shared.runtime.settings import Settings

K8S_DIR = observability.DEPLOY_DIR / "k8s"

# Settings the ConfigMap sets differently from the developer defaults: a cluster's broker runs
# quorum queues (classic queues are not replicated in RabbitMQ 4), the processes listen beyond
# loopback inside their pods, logs go to a shipper, and the console sits behind TLS.
CLUSTER_SETTINGS: dict[str, Any] = {
    "queue_type": "quorum",
    "metrics_host": "0.0.0.0",
    "gateway_host": "0.0.0.0",
    "console_host": "0.0.0.0",
    "log_format": "json",
    "unit_users": True,
    "console_secure_cookie": True,
}
# Settings set per pod from Secrets (the broker user differs by process; the database password
# comes from CloudNativePG), and the crash tests' failpoint, which has no place in a deployment.
PER_POD_SETTINGS = ("amqp_url", "database_url")
TEST_ONLY_SETTINGS = ("crash_at", "frozen_now")
PLATFORM_PREFIXES = ("whatsapp_", "telegram_", "meta_", "web_", "x_", "email_")

# KEDA: one more copy per this many ready messages (one prefetch window), from two to four
# (two, so that losing a node pauses nothing; past four PostgreSQL, not the workers, is the bound).
SCALE_PER_MESSAGES = 200
MIN_COPIES, MAX_COPIES = 2, 4


class _Dumper(yaml.SafeDumper):
    """Literal blocks for multi-line text (the dashboard, the broker's config, rule expressions)."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _str)


def amqp_urls(user: str) -> str:
    """`BAMSOS_AMQP_URL` for a user: every node by its pod's DNS name (the operator's headless
    Service `<cluster>-nodes`), comma-separated, so a process fails over from a node that goes;
    over TLS, trusting the cluster's CA (mounted at AMQP_CA_FILE)."""
    password = f"change-me-{user}"
    return ",".join(
        k8s_network.amqps_url(user, password, host, AMQP_CA_FILE) for host in rabbitmq_node_hosts()
    )


def broker_users() -> dict[str, str]:
    """Which broker user (deploy/rabbitmq/definitions.json) each process and the setup job are."""
    return (
        {SETUP: access.ADMIN}
        | {name: name for name in catalog.NAMES}
        | {catalog.GATEWAY: access.CONNECTOR, catalog.CONSOLE: topology.CONSOLE_USER}
    )


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value)


def _is_secret(name: str) -> bool:
    return SecretStr in typing.get_args(Settings.model_fields[name].annotation)


def platform_settings() -> list[str]:
    """The chat platforms' credentials and ids: the gateway's Secret (an empty one is off)."""
    return [
        name
        for name, field in Settings.model_fields.items()
        if name.startswith(PLATFORM_PREFIXES) and field.default is None
    ]


def config_settings() -> dict[str, str]:
    """Every setting with a value of its own, as the ConfigMap's `BAMSOS_*` variables: the
    developer default unless CLUSTER_SETTINGS says otherwise. Secrets, the per-pod URLs, the
    test-only failpoint and settings without a default (an office's own files) are left out."""
    env = {}
    for name, field in Settings.model_fields.items():
        value = CLUSTER_SETTINGS.get(name, field.get_default(call_default_factory=True))
        if name in PER_POD_SETTINGS or name in TEST_ONLY_SETTINGS or _is_secret(name) or value is None:
            continue
        env[f"BAMSOS_{name.upper()}"] = _env_text(value)
    return env


def trigger_authentication() -> dict[str, Any]:
    """KEDA's credentials for the broker: the user and its password as parameters of their own,
    out of `host`, over TLS against the broker's CA. KEDA's documentation (2.18, "RabbitMQ Queue")
    says the password may not hold special characters however given: letters and digits only."""
    refs = [
        {"parameter": "username", "name": AMQP_SECRET, "key": "keda-username"},
        {"parameter": "password", "name": AMQP_SECRET, "key": "keda-password"},
        {"parameter": "tls", "name": AMQP_SECRET, "key": "keda-tls"},
        {"parameter": "ca", "name": RABBITMQ_CA_SECRET, "key": "ca.crt"},
    ]
    return doc("TriggerAuthentication", "keda.sh/v1alpha1", RABBITMQ, {"spec": {"secretTargetRef": refs}})


def keda_host() -> str:
    """The broker as KEDA reaches it: its client Service by its fully qualified name, since the
    scalers run in the keda-operator's namespace, where `bamsos-rabbitmq` alone does not resolve
    (kedacore/keda#978). No credentials in it (TriggerAuthentication)."""
    return f"amqps://{service_host(RABBITMQ)}:{AMQPS_PORT}/%2F"


def scaled_object(process: str) -> dict[str, Any]:
    trigger = {
        "type": "rabbitmq",
        "metadata": {
            "host": keda_host(),
            "protocol": "amqp",
            "queueName": catalog.spec(process).queue,
            "mode": "QueueLength",
            "value": str(SCALE_PER_MESSAGES),
        },
        "authenticationRef": {"name": RABBITMQ},
    }
    spec = {
        "scaleTargetRef": {"name": kube_name(process)},
        "minReplicaCount": MIN_COPIES,
        "maxReplicaCount": MAX_COPIES,
        "pollingInterval": 15,
        "triggers": [trigger],
    }
    return doc("ScaledObject", "keda.sh/v1alpha1", kube_name(process), {"spec": spec})


def pod_monitor(
    name: str, selector: dict[str, str], port: str, relabel: dict[str, str], **endpoint: Any
) -> dict[str, Any]:
    """Prometheus scrapes the pods as deploy/prometheus/prometheus.yml scrapes compose's: the same
    `job` and `worker` labels, so the rules and the dashboard read them alike."""
    relabelings = [{"action": "replace", "targetLabel": k, "replacement": v} for k, v in relabel.items()]
    endpoint = {"port": port, "path": "/metrics", "interval": "15s", "relabelings": relabelings} | endpoint
    spec = {"selector": {"matchLabels": selector}, "podMetricsEndpoints": [endpoint]}
    return doc(
        "PodMonitor", "monitoring.coreos.com/v1", name, {"spec": spec}, labels={"release": PROMETHEUS_RELEASE}
    )


def pod_monitors() -> list[dict[str, Any]]:
    monitors = [
        pod_monitor(kube_name(p), labels(p), "metrics", {"job": "bamsos", "worker": p})
        for p in catalog.PROCESSES
    ]
    # The broker's own exporter (rabbitmq_prometheus), on TLS only: its certificate names the
    # client Service, which every node's certificate carries.
    tls = {
        "ca": {"secret": {"name": RABBITMQ_CA_SECRET, "key": "ca.crt"}},
        "serverName": service_host(RABBITMQ),
    }
    broker = pod_monitor(
        RABBITMQ, RABBITMQ_POD, "prometheus-tls", {"job": "rabbitmq"}, scheme="https", tlsConfig=tls
    )
    # CloudNativePG's exporter on every instance (port `metrics`, 9187).
    instances = POSTGRES_POD | {"cnpg.io/podRole": "instance"}
    database = pod_monitor(POSTGRES, instances, "metrics", {"job": "postgresql"})
    return [*monitors, broker, database]


def prometheus_rule() -> dict[str, Any]:
    spec = {"spec": observability.rules_document()}
    return doc(
        "PrometheusRule", "monitoring.coreos.com/v1", "bamsos", spec, labels={"release": PROMETHEUS_RELEASE}
    )


def dashboard_config_map(zone: ZoneInfo) -> dict[str, Any]:
    data = {observability.DASHBOARD_FILE.name: observability.dashboard_text(zone)}
    return doc("ConfigMap", "v1", "bamsos-dashboard", {"data": data}, labels={"grafana_dashboard": "1"})


def secrets_example() -> list[dict[str, Any]]:
    """The Secrets to fill in before the first apply (not in the kustomization, so an apply never
    overwrites the real ones): each process's broker URLs and KEDA's user, the operator's default
    user (`bamsos-admin`, whom the definitions create), the object store's keys, the platforms'
    credentials, the console's cookie key. The passwords are deploy/rabbitmq/definitions.json's
    starting ones. The TLS Secrets come from cert-manager or `kubectl create secret` (README)."""
    urls = {key: amqp_urls(user) for key, user in broker_users().items()}
    # KEDA reads queue lengths by passive declare, which needs no grant: the reporter's user, which
    # reads every queue's length for its own gauges.
    urls |= {"keda-username": "reporter", "keda-password": "change-me-reporter", "keda-tls": "enable"}
    admin_password = f"change-me-{access.ADMIN}"
    admin = {
        "username": access.ADMIN,
        "password": admin_password,
        "default_user.conf": f"default_user = {access.ADMIN}\ndefault_pass = {admin_password}\n",
    }
    backup = {"ACCESS_KEY_ID": "", "ACCESS_SECRET_KEY": ""}
    platforms = {f"BAMSOS_{name.upper()}": "" for name in platform_settings()}
    console = {
        "BAMSOS_CONSOLE_SECRET": "change-me-to-a-long-random-string",
        "BAMSOS_PDP_KEY": "change-me-the-access-logs-key-keep-it-off-the-database",
    }
    service_login = {"username": SERVICE_LOGIN, "password": "change-me-letters-and-digits-only"}
    basic_auth = doc(
        "Secret", "v1", DB_SERVICE_SECRET, {"type": "kubernetes.io/basic-auth", "stringData": service_login}
    )
    secrets = (
        (AMQP_SECRET, urls),
        (RABBITMQ_ADMIN_SECRET, admin),
        (BACKUP_SECRET, backup),
        (PLATFORMS_SECRET, platforms),
        (CONSOLE_SECRET, console),
    )
    opaque = [doc("Secret", "v1", name, {"type": "Opaque", "stringData": data}) for name, data in secrets]
    return [*opaque, basic_auth]


def config_map() -> dict[str, Any]:
    return doc("ConfigMap", "v1", CONFIG, {"data": config_settings()})


def _yaml(docs: list[dict[str, Any]], *comment: str) -> str:
    source = "services/generators/k8s.py"
    header = [f"Generated by `bamsos deploy-files` from {source}; edit that, not this.", *comment]
    text = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header)
    return text + "---\n".join(
        yaml.dump(d, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120) for d in docs
    )


def manifests(zone: ZoneInfo) -> dict[str, str]:
    """Every file of deploy/k8s/ that the kustomization applies, by name."""
    workers = list(catalog.NAMES)
    web = [catalog.GATEWAY, catalog.CONSOLE]
    processes = catalog.PROCESSES
    return {
        "namespace.yaml": _yaml([doc("Namespace", "v1", NAMESPACE, {})]),
        "config.yaml": _yaml(
            [config_map()],
            "Every setting (shared/runtime/settings.py) at its default, but for a cluster's own",
            "(CLUSTER_SETTINGS). Not here: the broker and database URLs and the secrets (per pod,",
            "from Secrets), and the office's own files (BAMSOS_ORG_CHART, BAMSOS_CLASSIFY_RULES,",
            "BAMSOS_NOTICE_TEMPLATES, BAMSOS_OFFICES_DIR): mount them from a ConfigMap and set the",
            "variables to add them.",
        ),
        "rabbitmq.yaml": _yaml(
            [k8s_stores.rabbitmq_cluster(), k8s_stores.rabbitmq_disruption_budget()],
            "Three RabbitMQ 4 nodes (the cluster operator), quorum queues, TLS only, one per host;",
            "a drain takes one at a time.",
        ),
        "postgres.yaml": _yaml(
            [k8s_stores.postgres_cluster(), k8s_stores.object_store(), k8s_stores.scheduled_backup()],
            "Three PostgreSQL instances (CloudNativePG), one per host: a primary, a synchronous standby",
            "among two; the WAL archive and nightly base backups in an object store (Barman Cloud plugin).",
        ),
        "setup-job.yaml": _yaml([k8s_pods.setup_job()]),
        "services.yaml": _yaml(
            [*(k8s_pods.deployment(p) for p in processes), *(k8s_pods.service(p) for p in web)]
            + [k8s_pods.disruption_budget(p) for p in processes],
            "One Deployment per process (`bamsos run <name>`), a Service for each web process, and a",
            "disruption budget each. Memory: requests and limits from measured RSS, see MEMORY in the",
            "generator: workers peaked at 67-70 MB in `bamsos bench` (README 'Speed'), the gateway and",
            "the console at 79 and 77 MB idle, the console's laporan at 94 MB (README 'The laporan').",
        ),
        "autoscaling.yaml": _yaml(
            [trigger_authentication(), *(scaled_object(p) for p in workers)],
            f"KEDA: each worker from {MIN_COPIES} to {MAX_COPIES} copies, one more per {SCALE_PER_MESSAGES} "
            "ready messages in its queue.",
            "Copies compete on one queue safely: claims, advisory locks, SKIP LOCKED",
            "(README 'The worker loop and its guarantees').",
        ),
        "network.yaml": _yaml(
            k8s_network.network_policies(WEB_PORTS),
            "No ingress to any pod of the namespace but what each needs (deploy/k8s/README.md).",
        ),
        "monitoring.yaml": _yaml([*pod_monitors(), prometheus_rule()]),
        "grafana-dashboard.yaml": _yaml([dashboard_config_map(zone)], "For Grafana's dashboard sidecar."),
    }


def kustomization(files: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": NAMESPACE,
        "resources": files,
        "images": [{"name": k8s_pods.IMAGE, "newName": k8s_pods.IMAGE, "newTag": "latest"}],
    }


def render_all(zone: ZoneInfo) -> dict[Path, str]:
    files = manifests(zone)
    rendered = {K8S_DIR / name: text for name, text in files.items()}
    rendered[K8S_DIR / "kustomization.yaml"] = _yaml(
        [kustomization(list(files))],
        "Name your image in an overlay of your own (deploy/k8s/README.md), not here.",
    )
    rendered[K8S_DIR / "secrets.example.yaml"] = _yaml(
        secrets_example(),
        "Copy, fill in and apply once before the kustomization (deploy/k8s/README.md); not applied by it.",
    )
    return rendered
