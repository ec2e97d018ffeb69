"""The BAMSOS pods of deploy/k8s/: one Deployment per process, the web processes' Services, the
disruption budgets and the setup Job. Every pod runs non-root on a read-only root, reaches the
broker and the database over TLS against the cluster's CAs, waits for the schema of its version
before it starts, and answers its probes from `/healthz`: the worker loop's heartbeat for a
worker (shared/runtime/health.py), the web server itself for the gateway and the console."""

from __future__ import annotations

import os
from typing import Any

from services import catalog
from services.generators import k8s_network
from services.generators.k8s_common import (
    AMQP_CA_FILE,
    AMQP_SECRET,
    CONFIG,
    CONSOLE_SECRET,
    DATABASE,
    DB_CA_FILE,
    DB_CA_SECRET,
    DB_SECRET,
    DB_SERVICE_SECRET,
    PLATFORMS_SECRET,
    POSTGRES,
    RABBITMQ_CA_SECRET,
    doc,
    kube_name,
    labels,
)
from shared.runtime.settings import Settings

# The one image of every BAMSOS process (deploy/Dockerfile); kustomize's `images:` names the
# registry and tag a deployment pulls.
IMAGE = "bamsos"
# The non-root user every BAMSOS container runs as (numeric, so the kubelet can check it).
RUN_AS = 10001
SETUP = "setup"
# A web process's port (its setting's default): where its Service sends the platforms' webhooks or
# the officers.
WEB_PORTS: dict[str, int] = {
    catalog.GATEWAY: Settings.model_fields["gateway_port"].default,
    catalog.CONSOLE: Settings.model_fields["console_port"].default,
}
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
# How long a web process keeps serving after it is told to stop: the endpoints controller and the
# proxies take a few seconds to stop sending it new connections (a rollout refuses none).
PRE_STOP_SECONDS = 5
# How long a new pod waits for the setup Job of its version to migrate the schema.
SCHEMA_WAIT_SECONDS = 600


def _secret_env(variable: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": variable, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def pod_env(user_key: str, owner: bool = False) -> list[dict[str, Any]]:
    """The per-pod settings: its broker user's URLs (amqps://, from the Secret), and the database
    URL from a login's Secret (Kubernetes expands `$(VAR)` from the variables above it; the
    password is letters and digits, so it needs no escaping in a URL), with `sslmode=verify-full`
    against the database's CA. The services log in as the service login; only what migrates or
    reads the schema's version (the setup Job, the wait for it) as the database's owner."""
    url = k8s_network.database_url("$(DB_USER)", "$(DB_PASSWORD)", f"{POSTGRES}-rw", DATABASE, DB_CA_FILE)
    login = DB_SECRET if owner else DB_SERVICE_SECRET
    return [
        _secret_env("BAMSOS_AMQP_URL", AMQP_SECRET, user_key),
        _secret_env("DB_USER", login, "username"),
        _secret_env("DB_PASSWORD", login, "password"),
        {"name": "BAMSOS_DATABASE_URL", "value": url},
    ]


def _security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }


def _ca_volume(name: str, secret: str) -> dict[str, Any]:
    """The CA certificate alone (`ca.crt`) of a Secret: never the key CloudNativePG keeps beside it."""
    return {"name": name, "secret": {"secretName": secret, "items": [{"key": "ca.crt", "path": "ca.crt"}]}}


MOUNTS = [
    {"name": "tmp", "mountPath": "/tmp"},
    {"name": "amqp-ca", "mountPath": os.path.dirname(AMQP_CA_FILE), "readOnly": True},
    {"name": "db-ca", "mountPath": os.path.dirname(DB_CA_FILE), "readOnly": True},
]
VOLUMES = [
    {"name": "tmp", "emptyDir": {"sizeLimit": "512Mi"}},
    _ca_volume("amqp-ca", RABBITMQ_CA_SECRET),
    _ca_volume("db-ca", DB_CA_SECRET),
]


def _container(name: str, fields: dict[str, Any]) -> dict[str, Any]:
    base = {"name": name, "image": IMAGE, "envFrom": [{"configMapRef": {"name": CONFIG}}]}
    return base | fields | {"securityContext": _security(), "volumeMounts": MOUNTS}


def pod_spec(
    process: str, container: dict[str, Any], init: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A BAMSOS pod: non-root, read-only root file system (a scratch /tmp for the laporan and
    Python's temporary files), no Kubernetes API token, the config, the process's Secrets and the
    CA certificates."""
    spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    if init:
        spec["initContainers"] = init
    spec["containers"] = [_container(kube_name(process), container)]
    spec["volumes"] = VOLUMES
    return spec


def schema_wait(process: str) -> dict[str, Any]:
    """Before a process of a new version starts: wait until the database's schema is at this
    version's migration head (its setup Job has run), so no pod runs against an older schema."""
    command = ["bamsos", "setup", "--await-schema", "--timeout", str(SCHEMA_WAIT_SECONDS)]
    return _container(
        "await-schema",
        {"command": command, "env": pod_env(process, owner=True), "resources": resources(process)},
    )


def probes(process: str) -> dict[str, Any]:
    """Both probes read `/healthz`: a worker's on its metrics port (503 when its consume loop has
    not turned for BAMSOS_HEALTH_STALL_SECONDS: stuck, though the metrics thread still answers),
    a web process's on its own port. Neither asks the broker or the database (a worker that lost
    them reconnects by itself; a restart would not help), so a probe costs next to nothing."""
    port = "http" if process in WEB_PORTS else "metrics"
    check = {"httpGet": {"path": "/healthz", "port": port}, "timeoutSeconds": 2}
    return {
        "readinessProbe": check | {"periodSeconds": 10},
        "livenessProbe": check | {"periodSeconds": 20, "failureThreshold": 3},
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
    if process in WEB_PORTS:
        container["lifecycle"] = {"preStop": {"sleep": {"seconds": PRE_STOP_SECONDS}}}
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
            "spec": pod_spec(process, container, init=[schema_wait(process)])
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
    return doc("Deployment", "apps/v1", kube_name(process), {"spec": spec}, labels=labels(process))


def service(process: str) -> dict[str, Any]:
    spec = {
        "selector": labels(process),
        "ports": [{"name": "http", "port": WEB_PORTS[process], "targetPort": "http"}],
    }
    return doc("Service", "v1", kube_name(process), {"spec": spec}, labels=labels(process))


def disruption_budget(process: str) -> dict[str, Any]:
    spec = {"minAvailable": 1, "selector": {"matchLabels": labels(process)}}
    return doc("PodDisruptionBudget", "policy/v1", kube_name(process), {"spec": spec})


def setup_job() -> dict[str, Any]:
    """`bamsos setup` as the broker's admin: the topology (quorum queues) and the migrations. It
    retries until the broker and the database answer; the new version's pods wait for its schema
    (`schema_wait`), the workers for their queues. Removed 10 minutes after it finished, so the
    next version's apply creates it anew (a Job's pod template can't change in place)."""
    container = {
        "command": ["bamsos", "setup"],
        "env": pod_env(SETUP, owner=True),
        "resources": resources(SETUP),
    }
    template = {
        "metadata": {"labels": labels(SETUP)},
        "spec": pod_spec(SETUP, container) | {"restartPolicy": "OnFailure"},
    }
    spec = {"backoffLimit": 10, "ttlSecondsAfterFinished": 600, "template": template}
    return doc("Job", "batch/v1", f"bamsos-{SETUP}", {"spec": spec}, labels=labels(SETUP))
