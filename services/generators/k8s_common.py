"""What every part of deploy/k8s/ shares: the namespace, the names of the clusters, Services and
Secrets, where the CA certificates are mounted, and how a document and a pod's labels are written."""

from __future__ import annotations

from typing import Any

NAMESPACE = "bamsos"
# Kubernetes' default cluster domain; a cluster with another one changes it here (README).
CLUSTER_DOMAIN = "cluster.local"
RABBITMQ = "bamsos-rabbitmq"
RABBITMQ_NODES = 3
AMQPS_PORT = 5671
POSTGRES = "bamsos-db"
POSTGRES_INSTANCES = 3
DATABASE = "bamsos"
# Secrets the deployer fills in (secrets.example.yaml); CloudNativePG makes `<cluster>-app` and
# `<cluster>-ca` (its CA: `ca.crt`, and `ca.key`, which no BAMSOS pod mounts).
AMQP_SECRET = "bamsos-amqp"
PLATFORMS_SECRET = "bamsos-platforms"
CONSOLE_SECRET = "bamsos-console"
DEFINITIONS_SECRET = "bamsos-rabbitmq-definitions"
RABBITMQ_ADMIN_SECRET = "bamsos-rabbitmq-admin"
RABBITMQ_TLS_SECRET = "bamsos-rabbitmq-tls"  # the broker's certificate and key (tls.crt, tls.key)
RABBITMQ_CA_SECRET = "bamsos-rabbitmq-ca"  # the CA that signed it (ca.crt): what clients trust
BACKUP_SECRET = "bamsos-backup-store"
DB_SECRET = f"{POSTGRES}-app"  # the database's owner (CloudNativePG's): migrations only
# The services' own login, a member of `bamsos_service` (shared/runtime/storage.py SERVICE_ROLE):
# it may add to the access log and read it, never change it (README "Personal data protection").
SERVICE_LOGIN = "bamsos_app"
DB_SERVICE_SECRET = f"{POSTGRES}-service"  # kubernetes.io/basic-auth: username, password
DB_CA_SECRET = f"{POSTGRES}-ca"
CONFIG = "bamsos-config"
# Where a BAMSOS pod finds the CA that signed the broker's and the database's certificates.
AMQP_CA_FILE = "/etc/bamsos/amqp-ca/ca.crt"
DB_CA_FILE = "/etc/bamsos/db-ca/ca.crt"
# The label kube-prometheus-stack's Prometheus selects PodMonitors and rules by (its release name).
PROMETHEUS_RELEASE = "kube-prometheus-stack"


def doc(kind: str, api: str, name: str, spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name, **metadata}, **spec}


def kube_name(process: str) -> str:
    """A Kubernetes name (DNS label) for a process: `editor_bridge` -> `editor-bridge`."""
    return process.replace("_", "-")


def labels(process: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": kube_name(process), "app.kubernetes.io/part-of": "bamsos"}


def service_host(name: str) -> str:
    """A Service's fully qualified name: what resolves from any namespace (KEDA's scalers run in
    the keda-operator's, where a short name does not), and what a certificate names."""
    return f"{name}.{NAMESPACE}.svc.{CLUSTER_DOMAIN}"


def rabbitmq_node_hosts() -> list[str]:
    """Each RabbitMQ pod by name under the operator's headless Service `<cluster>-nodes`."""
    return [service_host(f"{RABBITMQ}-server-{n}.{RABBITMQ}-nodes") for n in range(RABBITMQ_NODES)]
