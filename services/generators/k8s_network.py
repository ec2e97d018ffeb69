"""Private traffic in deploy/k8s/: the URLs a BAMSOS pod connects with (AMQP over TLS, PostgreSQL
with `sslmode=verify-full`, both against the cluster's CA), and NetworkPolicies that deny every
ingress in the namespace but what each server's clients need (deploy/k8s/README.md lists them).

`tests/cluster/test_tls.py` connects a service with these very URLs to a local RabbitMQ and
PostgreSQL on TLS with a test CA."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from services.generators.k8s_common import AMQPS_PORT, RABBITMQ, doc, kube_name
from services.generators.k8s_stores import POSTGRES_POD, RABBITMQ_POD

NETWORKING = "networking.k8s.io/v1"
# Where the operators run (their install guides' default namespaces) and their pods' labels.
KEDA = ("keda", {"app.kubernetes.io/name": "keda-operator"})
CNPG = ("cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"})
RABBITMQ_OPERATOR = ("rabbitmq-system", {"app.kubernetes.io/name": "rabbitmq-cluster-operator"})
# kube-prometheus-stack's Prometheus, in whichever namespace it was installed.
PROMETHEUS = (None, {"app.kubernetes.io/name": "prometheus"})
BAMSOS_PODS = {"app.kubernetes.io/part-of": "bamsos"}


def amqps_url(user: str, password: str, host: str, ca_file: str, port: int = AMQPS_PORT) -> str:
    """An AMQP URL over TLS that trusts `ca_file` alone and checks the broker's name (pika's
    `ssl_options`: its TLS context verifies the certificate and the host name by default)."""
    options = quote(repr({"ca_certs": ca_file}), safe="")
    return f"amqps://{user}:{password}@{host}:{port}/%2F?ssl_options={options}"


def database_url(user: str, password: str, host: str, database: str, ca_file: str, port: int = 5432) -> str:
    """A PostgreSQL URL that refuses a server whose certificate `ca_file` did not sign or that
    names another host (`verify-full`)."""
    query = f"sslmode=verify-full&sslrootcert={ca_file}"
    return f"postgresql+psycopg2://{user}:{password}@{host}:{port}/{database}?{query}"


def _peer(namespace: str | None, pods: dict[str, str]) -> dict[str, Any]:
    """Pods matching `pods` in `namespace` (any namespace when None)."""
    selector = {} if namespace is None else {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
    return {"namespaceSelector": selector, "podSelector": {"matchLabels": pods}}


def _same_namespace(pods: dict[str, str]) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": pods}}


def _rule(peers: list[dict[str, Any]], *ports: int | str) -> dict[str, Any]:
    rule: dict[str, Any] = {"from": peers}
    if ports:
        rule["ports"] = [{"protocol": "TCP", "port": port} for port in ports]
    return rule


def _policy(name: str, pods: dict[str, str], rules: list[dict[str, Any]]) -> dict[str, Any]:
    spec = {"podSelector": {"matchLabels": pods}, "policyTypes": ["Ingress"], "ingress": rules}
    return doc("NetworkPolicy", NETWORKING, name, {"spec": spec})


def network_policies(web: dict[str, int]) -> list[dict[str, Any]]:
    """Deny every ingress in the namespace, then allow: BAMSOS pods to the broker (AMQPS) and the
    database; the broker's and the database's own peers; the KEDA operator to the broker, the
    CloudNativePG operator to the instances (5432, 8000, as its networking guide requires);
    Prometheus to every metrics port; anyone (the ingress controller) to the web processes."""
    deny_all = doc(
        "NetworkPolicy",
        NETWORKING,
        "default-deny-ingress",
        {"spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
    )
    prometheus = [_peer(*PROMETHEUS)]
    broker = _policy(
        RABBITMQ,
        RABBITMQ_POD,
        [
            _rule([_same_namespace(BAMSOS_PODS), _peer(*KEDA)], AMQPS_PORT),
            _rule([_same_namespace(RABBITMQ_POD)]),  # clustering: epmd, distribution, CLI
            _rule([_peer(*RABBITMQ_OPERATOR)], 15671),  # the operator's management API calls
            _rule(prometheus, 15691),
        ],
    )
    database = _policy(
        "bamsos-db",
        POSTGRES_POD,
        [
            _rule([_same_namespace(BAMSOS_PODS)], 5432),
            _rule([_same_namespace(POSTGRES_POD), _peer(*CNPG)], 5432, 8000),  # replication, status
            _rule(prometheus, 9187),
        ],
    )
    processes = _policy("bamsos-metrics", BAMSOS_PODS, [_rule(prometheus, "metrics")])
    webs = [
        _policy(
            kube_name(p),
            {"app.kubernetes.io/name": kube_name(p)},
            [{"ports": [{"protocol": "TCP", "port": "http"}]}],
        )
        for p in web
    ]
    return [deny_all, broker, database, processes, *webs]
