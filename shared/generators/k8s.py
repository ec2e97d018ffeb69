"""The Kubernetes manifests under `deploy/k8s/`, written from the catalog, the settings, the topology
and the observability generator, so that a port, a queue, a setting, the dashboard and the alert
rules each have one source. `bamsos deploy-files` writes them, `--check` fails when they drift;
`tests/observability/test_k8s.py` validates them against the Kubernetes and the operators' schemas.

What runs where (deploy/k8s/README.md says why): the RabbitMQ cluster operator's `RabbitmqCluster`
(three nodes, quorum queues), a CloudNativePG `Cluster` (three instances), one Deployment per
BAMSOS process, KEDA `ScaledObject`s on the workers' queues, prometheus-operator `PodMonitor`s and a
`PrometheusRule`, and the Grafana dashboard as a ConfigMap for Grafana's sidecar.
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
from shared.generators import access, observability
from shared.runtime import topology
from shared.runtime.settings import Settings

K8S_DIR = observability.DEPLOY_DIR / "k8s"
NAMESPACE = "bamsos"
# The one image of every BAMSOS process (deploy/Dockerfile); kustomize's `images:` names the
# registry and tag a deployment pulls.
IMAGE = "bamsos"
# The operator's own default in cluster-operator v2.22.3; deploy/compose.yaml runs the same.
RABBITMQ_IMAGE = "rabbitmq:4.2.6-management"
RABBITMQ = "bamsos-rabbitmq"
RABBITMQ_NODES = 3
# The major version the project's tests run on (docs/servers.md).
POSTGRES_IMAGE = "ghcr.io/cloudnative-pg/postgresql:15"
POSTGRES = "bamsos-db"
POSTGRES_INSTANCES = 3
DATABASE = "bamsos"
# Secrets the deployer fills in (secrets.example.yaml); CloudNativePG makes `<cluster>-app`.
AMQP_SECRET = "bamsos-amqp"
PLATFORMS_SECRET = "bamsos-platforms"
CONSOLE_SECRET = "bamsos-console"
DEFINITIONS_SECRET = "bamsos-rabbitmq-definitions"
DB_SECRET = f"{POSTGRES}-app"
CONFIG = "bamsos-config"
# The non-root user every BAMSOS container runs as (numeric, so the kubelet can check it).
RUN_AS = 10001
# The label kube-prometheus-stack's Prometheus selects PodMonitors and rules by (its release name).
PROMETHEUS_RELEASE = "kube-prometheus-stack"
SETUP = "setup"
# A web process's port (its setting's default): where its Service sends the platforms' webhooks or
# the officers.
WEB_PORTS: dict[str, int] = {
    catalog.GATEWAY: Settings.model_fields["gateway_port"].default,
    catalog.CONSOLE: Settings.model_fields["console_port"].default,
}

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
PLATFORM_PREFIXES = ("whatsapp_", "telegram_", "meta_")

# Memory from `bamsos bench` (README "Speed"): every worker's peak RSS was 67-70 MB under the
# flood; the gateway and the console measured 79 and 77 MB idle (VmHWM) on the same machine, and
# writing a month's laporan (which the console does for heads) peaks at 94 MB (README "The
# laporan"). Requests cover the peak with ~30% to spare; limits leave room for a full prefetch
# window of maximum-size bodies (200 x 64 KiB = 12.5 MiB) and the allocator's slack.
MEMORY = {
    "worker": ("96Mi", "192Mi"),
    catalog.GATEWAY: ("112Mi", "224Mi"),
    catalog.CONSOLE: ("160Mi", "320Mi"),
}
# CPU: all five workers together spent 3.6 ms a inquiry at 241 inquiries/s (0.9 of a core for the
# lot); a request of 100m each is their share at a tenth of that rate. No CPU limit: throttling a
# worker that holds a batch's locks only makes the others wait.
CPU_REQUEST = "100m"
# KEDA: one more copy per this many ready messages (one prefetch window), from two to four
# (two, so that losing a node pauses nothing; past four PostgreSQL, not the workers, is the bound).
SCALE_PER_MESSAGES = 200
MIN_COPIES, MAX_COPIES = 2, 4


class _Dumper(yaml.SafeDumper):
    """Literal blocks for multi-line text (the dashboard, the broker's config, rule expressions)."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _str)


def kube_name(process: str) -> str:
    """A Kubernetes name (DNS label) for a process: `editor_bridge` -> `editor-bridge`."""
    return process.replace("_", "-")


def labels(process: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": kube_name(process), "app.kubernetes.io/part-of": "bamsos"}


def amqp_urls(user: str) -> str:
    """`BAMSOS_AMQP_URL` for a user: every node by its pod's DNS name (the operator's headless
    Service `<cluster>-nodes`), comma-separated, so a process fails over from a node that goes."""
    nodes = (f"{RABBITMQ}-server-{n}.{RABBITMQ}-nodes" for n in range(RABBITMQ_NODES))
    return ",".join(f"amqp://{user}:change-me-{user}@{node}:5672/%2F" for node in nodes)


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


def _doc(kind: str, api: str, name: str, spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, **metadata}, **spec}


def _secret_env(variable: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": variable, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def pod_env(user_key: str) -> list[dict[str, Any]]:
    """The per-pod settings: its broker user's URLs, and the database URL built from the password
    CloudNativePG generated (Kubernetes expands `$(VAR)` from the variables above it; the password
    is letters and digits, so it needs no escaping in a URL)."""
    return [
        _secret_env("BAMSOS_AMQP_URL", AMQP_SECRET, user_key),
        _secret_env("DB_USER", DB_SECRET, "username"),
        _secret_env("DB_PASSWORD", DB_SECRET, "password"),
        {
            "name": "BAMSOS_DATABASE_URL",
            "value": f"postgresql+psycopg2://$(DB_USER):$(DB_PASSWORD)@{POSTGRES}-rw:5432/{DATABASE}",
        },
    ]


def _security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }


def pod_spec(process: str, container: dict[str, Any]) -> dict[str, Any]:
    """A BAMSOS pod: non-root, read-only root file system (a scratch /tmp for the laporan and
    Python's temporary files), no Kubernetes API token, the config and the process's Secrets."""
    return {
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {"name": kube_name(process), "image": IMAGE, "envFrom": [{"configMapRef": {"name": CONFIG}}]}
            | container
            | {"securityContext": _security(), "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}
        ],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "512Mi"}}],
    }


def probes(process: str) -> dict[str, Any]:
    """The web processes answer /healthz. A worker has no health path: prometheus_client answers
    any GET on its metrics port with the metrics, so readiness reads /metrics; liveness only knocks
    on that port, since a worker that lost the broker or the database reconnects by itself (a
    restart would not help, and the reporter's /metrics asks both at scrape time)."""
    if process in WEB_PORTS:
        check = {"httpGet": {"path": "/healthz", "port": "http"}}
        return {
            "readinessProbe": check | {"periodSeconds": 10},
            "livenessProbe": check | {"periodSeconds": 20, "timeoutSeconds": 5, "failureThreshold": 3},
        }
    return {
        "readinessProbe": {
            "httpGet": {"path": "/metrics", "port": "metrics"},
            "periodSeconds": 15,
            "timeoutSeconds": 5,
        },
        "livenessProbe": {"tcpSocket": {"port": "metrics"}, "periodSeconds": 20, "failureThreshold": 3},
    }


def resources(process: str) -> dict[str, Any]:
    requests, limit = MEMORY.get(process, MEMORY["worker"])
    return {"requests": {"cpu": CPU_REQUEST, "memory": requests}, "limits": {"memory": limit}}


def deployment(process: str) -> dict[str, Any]:
    ports = [{"name": "metrics", "containerPort": catalog.metrics_ports()[process]}]
    env = pod_env(process)
    if process in WEB_PORTS:
        ports.insert(0, {"name": "http", "containerPort": WEB_PORTS[process]})
    container: dict[str, Any] = {
        "command": ["bamsos", "run", process],
        "ports": ports,
        "env": env,
        **probes(process),
        "resources": resources(process),
    }
    if process == catalog.GATEWAY:
        container["envFrom"] = [
            {"configMapRef": {"name": CONFIG}},
            {"secretRef": {"name": PLATFORMS_SECRET, "optional": True}},
        ]
    if process == catalog.CONSOLE:
        env.append(_secret_env("BAMSOS_CONSOLE_SECRET", CONSOLE_SECRET, "BAMSOS_CONSOLE_SECRET"))
        env.append(_secret_env("BAMSOS_PDP_KEY", CONSOLE_SECRET, "BAMSOS_PDP_KEY"))
    spec: dict[str, Any] = {
        "selector": {"matchLabels": labels(process)},
        "template": {
            "metadata": {"labels": labels(process)},
            "spec": pod_spec(process, container)
            | {
                # A worker finishes its batch on SIGTERM (README "Operations").
                "terminationGracePeriodSeconds": 30,
                "topologySpreadConstraints": [
                    {
                        "maxSkew": 1,
                        "topologyKey": "kubernetes.io/hostname",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": labels(process)},
                    }
                ],
            },
        },
    }
    if process in WEB_PORTS:
        # The web processes have no queue of their own to scale on: two copies, behind a Service.
        spec = {"replicas": 2} | spec
    return _doc("Deployment", "apps/v1", kube_name(process), {"spec": spec}, labels=labels(process))


def service(process: str) -> dict[str, Any]:
    spec = {
        "selector": labels(process),
        "ports": [{"name": "http", "port": WEB_PORTS[process], "targetPort": "http"}],
    }
    return _doc("Service", "v1", kube_name(process), {"spec": spec}, labels=labels(process))


def disruption_budget(process: str) -> dict[str, Any]:
    spec = {"minAvailable": 1, "selector": {"matchLabels": labels(process)}}
    return _doc("PodDisruptionBudget", "policy/v1", kube_name(process), {"spec": spec})


def setup_job() -> dict[str, Any]:
    """`bamsos setup` as the broker's admin: the topology (quorum queues) and the migrations. It
    retries until the broker and the database answer; the workers wait for their queues meanwhile."""
    container = {
        "command": ["bamsos", "setup"],
        "env": pod_env(SETUP),
        "resources": resources(SETUP),
    }
    template = {
        "metadata": {"labels": labels(SETUP)},
        "spec": pod_spec(SETUP, container) | {"restartPolicy": "OnFailure"},
    }
    spec = {"backoffLimit": 10, "template": template}
    return _doc("Job", "batch/v1", f"bamsos-{SETUP}", {"spec": spec}, labels=labels(SETUP))


def rabbitmq_cluster() -> dict[str, Any]:
    # 4.3 will refuse transient non-exclusive queues and global QoS: refuse them now, so nothing
    # comes to rely on them (nor on partition handling keys, which 4.3 ignores: the operator's
    # default, pause_minority, stays). The users and grants come from the definitions Secret.
    config = "\n".join(
        [
            "default_queue_type = quorum",
            "deprecated_features.permit.transient_nonexcl_queues = false",
            "deprecated_features.permit.global_qos = false",
            "load_definitions = /etc/rabbitmq/definitions/definitions.json",
        ]
    )
    definitions = {"name": "definitions", "mountPath": "/etc/rabbitmq/definitions", "readOnly": True}
    spec = {
        "replicas": RABBITMQ_NODES,
        "image": RABBITMQ_IMAGE,
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
        "persistence": {"storage": "20Gi"},
        "rabbitmq": {"additionalConfig": config + "\n"},
        "override": {
            "statefulSet": {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [{"name": "rabbitmq", "volumeMounts": [definitions]}],
                            "volumes": [
                                {"name": "definitions", "secret": {"secretName": DEFINITIONS_SECRET}}
                            ],
                        }
                    }
                }
            }
        },
    }
    return _doc("RabbitmqCluster", "rabbitmq.com/v1beta1", RABBITMQ, {"spec": spec})


def postgres_cluster() -> dict[str, Any]:
    # CloudNativePG's `<cluster>-rw` Service always points at the primary, so the services follow
    # a failover without a multi-host URL. Each process holds at most 4 connections (make_engine).
    spec = {
        "instances": POSTGRES_INSTANCES,
        "imageName": POSTGRES_IMAGE,
        "storage": {"size": "20Gi"},
        "bootstrap": {"initdb": {"database": DATABASE, "owner": DATABASE}},
        "postgresql": {"parameters": {"max_connections": "200"}},
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
    }
    return _doc("Cluster", "postgresql.cnpg.io/v1", POSTGRES, {"spec": spec})


def trigger_authentication() -> dict[str, Any]:
    spec = {"secretTargetRef": [{"parameter": "host", "name": AMQP_SECRET, "key": "keda"}]}
    return _doc("TriggerAuthentication", "keda.sh/v1alpha1", RABBITMQ, {"spec": spec})


def scaled_object(process: str) -> dict[str, Any]:
    trigger = {
        "type": "rabbitmq",
        "metadata": {
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
    return _doc("ScaledObject", "keda.sh/v1alpha1", kube_name(process), {"spec": spec})


def pod_monitor(name: str, selector: dict[str, str], port: str, relabel: dict[str, str]) -> dict[str, Any]:
    """Prometheus scrapes the pods as deploy/prometheus/prometheus.yml scrapes compose's: the same
    `job` and `worker` labels, so the rules and the dashboard read them alike."""
    relabelings = [{"action": "replace", "targetLabel": k, "replacement": v} for k, v in relabel.items()]
    endpoint = {"port": port, "path": "/metrics", "interval": "15s", "relabelings": relabelings}
    spec = {"selector": {"matchLabels": selector}, "podMetricsEndpoints": [endpoint]}
    return _doc(
        "PodMonitor", "monitoring.coreos.com/v1", name, {"spec": spec}, labels={"release": PROMETHEUS_RELEASE}
    )


def pod_monitors() -> list[dict[str, Any]]:
    monitors = [
        pod_monitor(kube_name(p), labels(p), "metrics", {"job": "bamsos", "worker": p})
        for p in catalog.PROCESSES
    ]
    # The broker's own exporter (rabbitmq_prometheus, on in every operator-run node).
    broker = {"app.kubernetes.io/name": RABBITMQ}
    return [*monitors, pod_monitor(RABBITMQ, broker, "prometheus", {"job": "rabbitmq"})]


def prometheus_rule() -> dict[str, Any]:
    spec = {"spec": observability.rules_document()}
    return _doc(
        "PrometheusRule", "monitoring.coreos.com/v1", "bamsos", spec, labels={"release": PROMETHEUS_RELEASE}
    )


def dashboard_config_map(zone: ZoneInfo) -> dict[str, Any]:
    data = {observability.DASHBOARD_FILE.name: observability.dashboard_text(zone)}
    return _doc("ConfigMap", "v1", "bamsos-dashboard", {"data": data}, labels={"grafana_dashboard": "1"})


def secrets_example() -> list[dict[str, Any]]:
    """The Secrets to fill in before the first apply (not in the kustomization, so an apply never
    overwrites the real ones): each process's broker URLs, the platforms' credentials, the console's
    cookie key. The passwords are deploy/rabbitmq/definitions.json's starting ones."""
    urls = {key: amqp_urls(user) for key, user in broker_users().items()}
    # KEDA reads queue lengths by passive declare, which needs no grant: the reporter's user, which
    # reads every queue's length for its own gauges, through the operator's client Service.
    urls["keda"] = f"amqp://reporter:change-me-reporter@{RABBITMQ}:5672/%2F"
    platforms = {f"BAMSOS_{name.upper()}": "" for name in platform_settings()}
    console = {
        "BAMSOS_CONSOLE_SECRET": "change-me-to-a-long-random-string",
        "BAMSOS_PDP_KEY": "change-me-the-access-logs-key-keep-it-off-the-database",
    }
    return [
        _doc("Secret", "v1", name, {"type": "Opaque", "stringData": data})
        for name, data in ((AMQP_SECRET, urls), (PLATFORMS_SECRET, platforms), (CONSOLE_SECRET, console))
    ]


def config_map() -> dict[str, Any]:
    return _doc("ConfigMap", "v1", CONFIG, {"data": config_settings()})


def _yaml(docs: list[dict[str, Any]], *comment: str) -> str:
    source = "shared/generators/k8s.py"
    header = [f"Generated by `bamsos deploy-files` from {source}; edit that, not this.", *comment]
    text = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header)
    return text + "---\n".join(
        yaml.dump(d, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120) for d in docs
    )


def manifests(zone: ZoneInfo) -> dict[str, str]:
    """Every file of deploy/k8s/ that the kustomization applies, by name."""
    workers = list(catalog.NAMES)
    web = [catalog.GATEWAY, catalog.CONSOLE]
    return {
        "namespace.yaml": _yaml([_doc("Namespace", "v1", NAMESPACE, {})]),
        "config.yaml": _yaml(
            [config_map()],
            "Every setting (shared/runtime/settings.py) at its default, but for a cluster's own",
            "(CLUSTER_SETTINGS). Not here: the broker and database URLs and the secrets (per pod,",
            "from Secrets), and the office's own files (BAMSOS_ORG_CHART, BAMSOS_CLASSIFY_RULES,",
            "BAMSOS_NOTICE_TEMPLATES): mount them from a ConfigMap and set the variables to add them.",
        ),
        "rabbitmq.yaml": _yaml(
            [rabbitmq_cluster()], "Three RabbitMQ 4 nodes (the cluster operator), quorum queues."
        ),
        "postgres.yaml": _yaml(
            [postgres_cluster()], "Three PostgreSQL instances (CloudNativePG): a primary, two standbys."
        ),
        "setup-job.yaml": _yaml([setup_job()]),
        "services.yaml": _yaml(
            [*(deployment(p) for p in catalog.PROCESSES), *(service(p) for p in web)]
            + [disruption_budget(p) for p in catalog.PROCESSES],
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
        "monitoring.yaml": _yaml([*pod_monitors(), prometheus_rule()]),
        "grafana-dashboard.yaml": _yaml([dashboard_config_map(zone)], "For Grafana's dashboard sidecar."),
    }


def kustomization(files: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": NAMESPACE,
        "resources": files,
        "images": [{"name": IMAGE, "newName": IMAGE, "newTag": "latest"}],
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
