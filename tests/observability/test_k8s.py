"""deploy/k8s/: every manifest passes the Kubernetes schemas (kubernetes-validate, strict: an unknown
field is refused) and every custom resource its operator's CRD schema (vendored in crds/, closed as
the API server's strict field validation closes it); the kustomization builds; and the manifests
agree with the project's own sources: the processes, their commands, ports, queues, broker users,
settings, dashboard and rules."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from services import catalog
from services.generators import access, k8s, k8s_common, k8s_pods
from services.generators.observability import DASHBOARD_FILE, RULES_FILE
from shared.runtime.settings import Settings
from tests.observability.manifests import Doc, applied, by_kind, containers, load

CRD_DIR = Path(__file__).parent / "crds"
KUBERNETES = kubernetes_validate.latest_version()  # the newest the pinned package bundles


def every_manifest() -> list[Doc]:
    return applied() + load("secrets.example.yaml")


def closed(schema: Any) -> Any:
    """A CRD's schema as the API server applies it with strict field validation: an object with
    listed properties takes no others unless it says so (x-kubernetes-preserve-unknown-fields, or
    its own additionalProperties); an embedded resource also takes apiVersion, kind and metadata."""
    if isinstance(schema, list):
        return [closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: closed(value) for key, value in schema.items()}
    if "properties" in out:
        out["properties"] = {name: closed(s) for name, s in schema["properties"].items()}
        if schema.get("x-kubernetes-embedded-resource"):
            out["properties"] = {"apiVersion": {}, "kind": {}, "metadata": {}} | out["properties"]
        if "additionalProperties" not in out and not schema.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    return out


@cache
def crd_schemas() -> dict[tuple[str, str], Any]:
    """(apiVersion, kind) -> the closed openAPIV3Schema of every vendored CRD's served versions."""
    schemas = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for crd in yaml.load_all(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if not crd:
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    schemas[(f"{group}/{version['name']}", kind)] = closed(
                        version["schema"]["openAPIV3Schema"]
                    )
    return schemas


def validate(doc: Doc) -> None:
    """Raise if `doc` breaks its schema: a CRD's (OpenAPI 3.0 is JSON Schema draft 4's dialect), or
    Kubernetes' own."""
    schema = crd_schemas().get((doc["apiVersion"], doc["kind"]))
    if schema is not None:
        jsonschema.Draft4Validator(schema).validate(doc)
    else:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def doc_id(doc: Doc) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


@pytest.mark.parametrize("doc", every_manifest(), ids=doc_id)
def test_every_manifest_passes_the_schema_of_its_kind(doc: Doc) -> None:
    validate(doc)


def test_every_custom_resource_has_its_operators_schema() -> None:
    groups = {(d["apiVersion"], d["kind"]): d["apiVersion"].split("/")[0] for d in applied()}
    custom = {kind for kind, group in groups.items() if "." in group and not group.endswith(".k8s.io")}
    assert custom <= set(crd_schemas()), "a kind with no vendored CRD would go unchecked"
    assert {kind for _, kind in custom} == {
        "RabbitmqCluster",
        "Cluster",
        "ScaledObject",
        "TriggerAuthentication",
        "PodMonitor",
        "PrometheusRule",
        "ObjectStore",
        "ScheduledBackup",
    }


def _first(docs: list[Doc], kind: str) -> Doc:
    return copy.deepcopy(next(d for d in docs if d["kind"] == kind))


MISTAKES: dict[str, tuple[str, Callable[[Doc], object]]] = {
    "Deployment: misspelled field": ("Deployment", lambda d: d["spec"].update(replicaz=2)),
    "Deployment: port as text": (
        "Deployment",
        lambda d: d["spec"]["template"]["spec"]["containers"][0]["ports"][0].update(containerPort="9101"),
    ),
    "RabbitmqCluster: misspelled field": ("RabbitmqCluster", lambda d: d["spec"].update(replica=3)),
    "RabbitmqCluster: misspelled in the pod override": (
        "RabbitmqCluster",
        lambda d: d["spec"]["override"]["statefulSet"]["spec"]["template"]["spec"]["containers"][0].update(
            volumeMount=[]
        ),
    ),
    "Cluster: instances as text": ("Cluster", lambda d: d["spec"].update(instances="3")),
    "ScaledObject: misspelled field": ("ScaledObject", lambda d: d["spec"].update(minReplicas=1)),
    "ScaledObject: no trigger type": ("ScaledObject", lambda d: d["spec"]["triggers"][0].pop("type")),
    "PodMonitor: misspelled endpoint field": (
        "PodMonitor",
        lambda d: d["spec"]["podMetricsEndpoints"][0].update(intervall="15s"),
    ),
    "PrometheusRule: rule without expr": (
        "PrometheusRule",
        lambda d: d["spec"]["groups"][0]["rules"][0].pop("expr"),
    ),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_misspelled_field_or_a_wrong_type_is_refused(mistake: str) -> None:
    kind, spoil = MISTAKES[mistake]
    doc = _first(applied(), kind)
    validate(doc)  # the real one passes
    spoil(doc)
    with pytest.raises((jsonschema.ValidationError, kubernetes_validate.ValidationError)):
        validate(doc)


def test_the_kustomization_builds_the_files_into_the_namespace_with_the_image() -> None:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with its built-in kustomize) comes with this machine's image"
    built = subprocess.run([kubectl, "kustomize", str(k8s.K8S_DIR)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    docs = [d for d in yaml.safe_load_all(built.stdout) if d]
    assert sorted(map(doc_id, docs)) == sorted(map(doc_id, applied()))
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} == {
        k8s_common.NAMESPACE
    }
    images = {c["image"] for d in docs if d["kind"] in ("Deployment", "Job") for c in containers(d)}
    assert images == {"bamsos:latest"}


def test_each_process_runs_its_command_as_a_locked_down_pod_with_probes_and_memory() -> None:
    deployments = by_kind("Deployment")
    assert set(deployments) == {k8s_common.kube_name(p) for p in catalog.PROCESSES}
    for process in catalog.PROCESSES:
        deployment = deployments[k8s_common.kube_name(process)]
        pod = deployment["spec"]["template"]["spec"]
        [container] = containers(deployment)
        assert container["command"] == ["bamsos", "run", process]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == catalog.metrics_ports()[process]
        assert container["readinessProbe"] and container["livenessProbe"]
        assert container["resources"]["limits"]["memory"] and container["resources"]["requests"]["memory"]
        assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] > 0
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
    [job] = by_kind("Job").values()
    assert containers(job)[0]["command"] == ["bamsos", "setup"]


def test_each_process_connects_as_its_own_broker_user_to_every_node() -> None:
    definitions = json.loads(access.DEFINITIONS_FILE.read_text())
    users = {u["name"] for u in definitions["users"]}
    urls = next(d for d in load("secrets.example.yaml") if d["metadata"]["name"] == k8s_common.AMQP_SECRET)
    for key, url_list in urls["stringData"].items():
        if key.startswith("keda-"):  # KEDA's user, password and TLS switch: see test_keda_...
            continue
        assert Settings(amqp_url=url_list).amqp_url == url_list  # the services accept the list
        nodes = url_list.split(",")
        user = urlsplit(nodes[0]).username
        assert user in users, key
        assert len(nodes) == k8s_common.RABBITMQ_NODES
    keys = {
        env["valueFrom"]["secretKeyRef"]["key"]
        for d in [*by_kind("Deployment").values(), *by_kind("Job").values()]
        for env in containers(d)[0]["env"]
        if env["name"] == "BAMSOS_AMQP_URL"
    }
    assert keys == set(catalog.PROCESSES) | {k8s_pods.SETUP}


def test_keda_scales_each_worker_on_its_own_queue() -> None:
    scaled = by_kind("ScaledObject")
    assert set(scaled) == {k8s_common.kube_name(n) for n in catalog.NAMES}
    for name in catalog.NAMES:
        spec = scaled[k8s_common.kube_name(name)]["spec"]
        assert spec["scaleTargetRef"]["name"] in by_kind("Deployment")
        assert spec["minReplicaCount"] >= 1  # the router's escalation clock runs with no message
        [trigger] = spec["triggers"]
        assert trigger["type"] == "rabbitmq"
        assert trigger["metadata"]["queueName"] == catalog.spec(name).queue
        assert trigger["authenticationRef"]["name"] in by_kind("TriggerAuthentication")


def test_prometheus_scrapes_every_process_with_the_labels_the_rules_read() -> None:
    monitors = by_kind("PodMonitor")
    for process in catalog.PROCESSES:
        [endpoint] = monitors[k8s_common.kube_name(process)]["spec"]["podMetricsEndpoints"]
        assert endpoint["port"] == "metrics"
        relabel = {r["targetLabel"]: r["replacement"] for r in endpoint["relabelings"]}
        assert relabel == {"job": "bamsos", "worker": process}  # up{job="bamsos"}, {{ $labels.worker }}


def test_the_dashboard_and_the_rules_are_deploys_own() -> None:
    [dashboard] = by_kind("ConfigMap")["bamsos-dashboard"]["data"].values()
    assert dashboard == DASHBOARD_FILE.read_text()
    assert by_kind("ConfigMap")["bamsos-dashboard"]["metadata"]["labels"] == {"grafana_dashboard": "1"}
    rules = yaml.safe_load(RULES_FILE.read_text())
    assert by_kind("PrometheusRule")["bamsos"]["spec"] == rules


def test_the_config_map_and_secrets_are_settings_the_services_accept(monkeypatch: pytest.MonkeyPatch) -> None:
    config = by_kind("ConfigMap")[k8s_common.CONFIG]["data"]
    platforms = next(
        d for d in load("secrets.example.yaml") if d["metadata"]["name"] == k8s_common.PLATFORMS_SECRET
    )
    for name, value in config.items() | platforms["stringData"].items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.queue_type == "quorum" and settings.unit_users and settings.console_secure_cookie
    # Every setting is somewhere: the ConfigMap, a Secret, per pod, or named as left out.
    placed = {name.removeprefix("BAMSOS_").lower() for name in config | platforms["stringData"]}
    left_out = {*k8s.PER_POD_SETTINGS, *k8s.TEST_ONLY_SETTINGS, "console_secret", "pdp_key"}  # bamsos-console
    office_files = {"org_chart", "classify_rules", "notice_templates", "offices_dir"}
    assert set(Settings.model_fields) == placed | left_out | office_files
