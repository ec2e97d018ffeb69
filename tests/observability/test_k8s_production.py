"""deploy/k8s/ read beside the operators' documentation: what would fail or lose data in a real
cluster although every schema passes. KEDA reaches the broker from its own namespace; a commit
survives the primary's loss; there are backups; a drain takes one broker and one database instance
at a time; a new version waits for its schema; the probes say whether a loop turns; and traffic is
private (TLS to the broker and the database, NetworkPolicies)."""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from services import catalog
from services.generators import access, k8s_common, k8s_pods
from tests.observability.manifests import Doc, by_kind, containers, load

KEDA_NAMESPACE = "keda"


def secret(name: str) -> dict[str, str]:
    found: dict[str, str] = next(
        d["stringData"] for d in load("secrets.example.yaml") if d["metadata"]["name"] == name
    )
    return found


def test_keda_reaches_the_broker_by_a_name_that_resolves_from_its_own_namespace() -> None:
    [auth] = by_kind("TriggerAuthentication").values()
    for scaled in by_kind("ScaledObject").values():
        [trigger] = scaled["spec"]["triggers"]
        host = urlsplit(trigger["metadata"]["host"])
        # <service>.<namespace>.svc.<domain>: the client Service of the RabbitmqCluster, here.
        assert host.hostname == f"{k8s_common.RABBITMQ}.{k8s_common.NAMESPACE}.svc.cluster.local"
        assert k8s_common.RABBITMQ in by_kind("RabbitmqCluster")
        assert (host.scheme, host.port) == ("amqps", 5671)
        assert host.password is None  # the credentials come from the TriggerAuthentication
    params = {ref["parameter"]: ref for ref in auth["spec"]["secretTargetRef"]}
    assert {"username", "password", "tls", "ca"} <= set(params)
    assert secret(k8s_common.AMQP_SECRET)[params["tls"]["key"]] == "enable"
    user = secret(k8s_common.AMQP_SECRET)[params["username"]["key"]]
    assert user in {u["name"] for u in json.loads(access.DEFINITIONS_FILE.read_text())["users"]}
    # KEDA takes no password with special characters (its docs): the example's must be plain.
    assert secret(k8s_common.AMQP_SECRET)[params["password"]["key"]].replace("-", "").isalnum()


def test_a_commit_waits_for_a_synchronous_standby_so_a_failover_loses_no_acknowledged_work() -> None:
    [cluster] = by_kind("Cluster").values()
    synchronous = cluster["spec"]["postgresql"]["synchronous"]
    assert synchronous["number"] >= 1 and synchronous["method"] in ("any", "first")
    assert synchronous["dataDurability"] == "required"  # never silently back to asynchronous
    assert cluster["spec"]["instances"] >= synchronous["number"] + 2  # one standby may be away


def test_the_database_archives_its_wal_and_takes_nightly_base_backups_on_a_pinned_image() -> None:
    [cluster] = by_kind("Cluster").values()
    [plugin] = cluster["spec"]["plugins"]
    assert plugin["name"] == "barman-cloud.cloudnative-pg.io" and plugin["isWALArchiver"] is True
    assert plugin["parameters"]["barmanObjectName"] in by_kind("ObjectStore")
    [store] = by_kind("ObjectStore").values()
    keys = store["spec"]["configuration"]["s3Credentials"]
    assert {ref["key"] for ref in keys.values()} <= set(secret(k8s_common.BACKUP_SECRET))
    [backup] = by_kind("ScheduledBackup").values()
    assert backup["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert backup["spec"]["method"] == "plugin"
    assert backup["spec"]["pluginConfiguration"]["name"] == plugin["name"]
    assert len(backup["spec"]["schedule"].split()) == 6  # CloudNativePG's cron starts with seconds
    # A minor release or a digest: `:15` would roll a restarted instance onto whatever 15.x is newest.
    image = cluster["spec"]["imageName"]
    assert re.search(r"(:\d+\.\d+[^:/]*|@sha256:[0-9a-f]{64})$", image), image


def _required_anti_affinity(affinity: Doc, selector: dict[str, str]) -> bool:
    terms = affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    return any(
        t["topologyKey"] == "kubernetes.io/hostname" and t["labelSelector"]["matchLabels"] == selector
        for t in terms
    )


def test_a_drain_takes_one_broker_and_one_database_instance_at_a_time() -> None:
    [rabbit] = by_kind("RabbitmqCluster").values()
    pods = {"app.kubernetes.io/name": rabbit["metadata"]["name"]}  # the operator's pod labels
    assert _required_anti_affinity(rabbit["spec"]["affinity"], pods)
    budgets = [
        b for b in by_kind("PodDisruptionBudget").values() if b["spec"]["selector"]["matchLabels"] == pods
    ]
    assert [b["spec"].get("maxUnavailable") for b in budgets] == [1]  # quorum queues keep 2 of 3
    assert float(rabbit["spec"]["resources"]["requests"]["cpu"]) >= 2
    [postgres] = by_kind("Cluster").values()
    affinity = postgres["spec"]["affinity"]
    assert (
        affinity["podAntiAffinityType"] == "required" and affinity["topologyKey"] == "kubernetes.io/hostname"
    )
    assert postgres["spec"].get("enablePDB", True) is True


def test_a_new_version_starts_only_on_its_own_schema() -> None:
    for deployment in by_kind("Deployment").values():
        [wait] = deployment["spec"]["template"]["spec"]["initContainers"]
        assert wait["command"][:3] == ["bamsos", "setup", "--await-schema"]
        assert {e["name"] for e in wait["env"]} >= {"BAMSOS_DATABASE_URL"}
    [job] = by_kind("Job").values()
    assert job["spec"]["ttlSecondsAfterFinished"] > 0  # the next version's apply creates it anew


def test_every_probe_reads_the_cheap_health_path_never_the_metrics() -> None:
    for process in catalog.PROCESSES:
        deployment = by_kind("Deployment")[k8s_common.kube_name(process)]
        [container] = containers(deployment)
        ports = {p["name"] for p in container["ports"]}
        for probe in (container["readinessProbe"], container["livenessProbe"]):
            assert probe["httpGet"]["path"] == "/healthz", process
            assert probe["httpGet"]["port"] in ports
        expected = "http" if process in k8s_pods.WEB_PORTS else "metrics"  # a worker: beside /metrics
        assert container["livenessProbe"]["httpGet"]["port"] == expected


def test_the_web_processes_keep_serving_while_the_endpoints_forget_them() -> None:
    for process in k8s_pods.WEB_PORTS:
        [container] = containers(by_kind("Deployment")[k8s_common.kube_name(process)])
        assert container["lifecycle"]["preStop"]["sleep"]["seconds"] >= 5


def _mounted(container: Doc, path: str) -> bool:
    return any(m["mountPath"] == os.path.dirname(path) for m in container["volumeMounts"])


def test_every_process_reaches_the_broker_and_the_database_over_verified_tls() -> None:
    for name, urls in secret(k8s_common.AMQP_SECRET).items():
        if name.startswith("keda-"):
            continue
        for url in urls.split(","):
            parts = urlsplit(url)
            assert (parts.scheme, parts.port) == ("amqps", 5671), name
            options = parse_qs(parts.query)["ssl_options"][0]
            assert k8s_common.AMQP_CA_FILE in options
    for workload in [*by_kind("Deployment").values(), *by_kind("Job").values()]:
        spec = workload["spec"]["template"]["spec"]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            [url] = [e["value"] for e in container["env"] if e["name"] == "BAMSOS_DATABASE_URL"]
            query = parse_qs(urlsplit(url).query)
            assert query["sslmode"] == ["verify-full"] and query["sslrootcert"] == [k8s_common.DB_CA_FILE]
            assert _mounted(container, k8s_common.DB_CA_FILE) and _mounted(container, k8s_common.AMQP_CA_FILE)
        secrets = {v["name"]: v["secret"] for v in spec["volumes"] if "secret" in v}
        # Only the CA certificate: CloudNativePG keeps its CA's private key in the same Secret.
        assert all(s["items"] == [{"key": "ca.crt", "path": "ca.crt"}] for s in secrets.values())
    [rabbit] = by_kind("RabbitmqCluster").values()
    assert rabbit["spec"]["tls"]["disableNonTLSListeners"] is True


# --- NetworkPolicies, evaluated as the API documents them ---------------------------------------


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _peer_allows(peer: Doc, namespace: str, labels: dict[str, str]) -> bool:
    if "namespaceSelector" in peer:
        if not _matches(peer["namespaceSelector"], {"kubernetes.io/metadata.name": namespace}):
            return False
    elif namespace != k8s_common.NAMESPACE:
        return False  # a podSelector alone means the policy's own namespace
    return _matches(peer.get("podSelector", {}), labels)


def reachable(source: tuple[str, dict[str, str]], target: dict[str, str], port: int | str) -> bool:
    """Whether a pod (namespace, labels) may open `port` on a pod of the namespace with `target`
    labels: allowed when some policy selecting the target allows it (none selecting: all open)."""
    policies = [p for p in by_kind("NetworkPolicy").values() if _matches(p["spec"]["podSelector"], target)]
    if not policies:
        return True
    for policy in policies:
        for rule in policy["spec"].get("ingress", []):
            ports = [p["port"] for p in rule.get("ports", [])]
            peers = rule.get("from")
            if (not ports or port in ports) and (not peers or any(_peer_allows(p, *source) for p in peers)):
                return True
    return False


BROKER = {"app.kubernetes.io/name": k8s_common.RABBITMQ}
DATABASE = {"cnpg.io/cluster": k8s_common.POSTGRES, "cnpg.io/podRole": "instance"}
WORKER = (k8s_common.NAMESPACE, k8s_common.labels("intake"))
STRANGER = (k8s_common.NAMESPACE, {"app": "debug-shell"})
PROMETHEUS = ("monitoring", {"app.kubernetes.io/name": "prometheus"})


def test_only_the_services_and_the_operators_reach_the_broker_and_the_database() -> None:
    assert reachable(WORKER, BROKER, 5671) and reachable(WORKER, DATABASE, 5432)
    # Any other pod, even in the namespace: not the broker, its management API, nor the database.
    for port in (5671, 5672, 15671, 15672):
        assert not reachable(STRANGER, BROKER, port)
    assert not reachable(STRANGER, DATABASE, 5432)
    assert not reachable(WORKER, BROKER, 15671)  # the services need no management API
    keda = (KEDA_NAMESPACE, {"app.kubernetes.io/name": "keda-operator"})
    assert reachable(keda, BROKER, 5671)
    cnpg = ("cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"})
    assert reachable(cnpg, DATABASE, 8000) and reachable(cnpg, DATABASE, 5432)
    assert reachable((k8s_common.NAMESPACE, DATABASE), DATABASE, 5432)  # replication


def test_prometheus_scrapes_every_pod_and_the_web_processes_take_their_traffic() -> None:
    for process in catalog.PROCESSES:
        assert reachable(PROMETHEUS, k8s_common.labels(process), "metrics")
        assert not reachable(STRANGER, k8s_common.labels(process), "metrics")
    assert reachable(PROMETHEUS, BROKER, 15691) and reachable(PROMETHEUS, DATABASE, 9187)
    for process in k8s_pods.WEB_PORTS:
        assert reachable(("ingress-nginx", {"app": "controller"}), k8s_common.labels(process), "http")


def test_the_operators_default_user_is_one_the_definitions_create() -> None:
    [rabbit] = by_kind("RabbitmqCluster").values()
    admin = secret(rabbit["spec"]["secretBackend"]["externalSecret"]["name"])
    users = {u["name"]: u for u in json.loads(access.DEFINITIONS_FILE.read_text())["users"]}
    assert "administrator" in users[admin["username"]]["tags"]
    assert f"default_user = {admin['username']}" in admin["default_user.conf"]


def test_prometheus_scrapes_postgresql_and_rabbitmq_over_tls() -> None:
    monitors = by_kind("PodMonitor")
    [database] = monitors[k8s_common.POSTGRES]["spec"]["podMetricsEndpoints"]
    assert _matches(monitors[k8s_common.POSTGRES]["spec"]["selector"], DATABASE)
    assert database["port"] == "metrics"
    [broker] = monitors[k8s_common.RABBITMQ]["spec"]["podMetricsEndpoints"]
    assert (broker["port"], broker["scheme"]) == ("prometheus-tls", "https")


def test_every_alert_links_its_runbook_by_an_address_that_opens_outside_the_repository() -> None:
    [rule] = by_kind("PrometheusRule").values()
    alerts = [r for group in rule["spec"]["groups"] for r in group["rules"] if "alert" in r]
    assert alerts
    for alert in alerts:
        link = urlsplit(alert["annotations"]["runbook_url"])
        assert link.scheme == "https" and link.netloc, alert["alert"]


def _database_login(container: Doc) -> str:
    """The Secret a container's database user comes from."""
    [user] = [e for e in container.get("env", []) if e["name"] == "DB_USER"]
    login: str = user["valueFrom"]["secretKeyRef"]["name"]
    return login


def test_the_services_log_in_as_the_service_role_and_only_migrations_as_the_owner() -> None:
    """The access log is append-only for `bamsos_service` (migration 0008): the services must be that
    role, not the database's owner, or it is append-only only by convention."""
    [cluster] = by_kind("Cluster").values()
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    login = roles[k8s_common.SERVICE_LOGIN]
    assert login["login"] is True and login["inRoles"] == ["bamsos_service"]
    assert login["passwordSecret"]["name"] == k8s_common.DB_SERVICE_SECRET
    assert roles["bamsos_service"]["login"] is False
    assert secret(k8s_common.DB_SERVICE_SECRET)["username"] == k8s_common.SERVICE_LOGIN
    for name, deployment in by_kind("Deployment").items():
        for container in containers(deployment):
            assert _database_login(container) == k8s_common.DB_SERVICE_SECRET, name
        for init in deployment["spec"]["template"]["spec"].get("initContainers", []):
            assert _database_login(init) == k8s_common.DB_SECRET, (
                f"{name}: the schema wait reads alembic_version"
            )
    [job] = by_kind("Job").values()
    for container in job["spec"]["template"]["spec"]["containers"]:
        assert _database_login(container) == k8s_common.DB_SECRET, "the setup Job migrates as the owner"
