"""Reading deploy/k8s/ as the kustomization applies it, for the tests of its manifests."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from services.generators import k8s

Doc = dict[str, Any]


@cache
def load(name: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all((k8s.K8S_DIR / name).read_text()) if d]


@cache
def kustomization() -> Doc:
    [doc] = load("kustomization.yaml")
    return doc


@cache
def applied() -> list[Doc]:
    """Every document the kustomization applies, in its order."""
    return [doc for name in kustomization()["resources"] for doc in load(name)]


def containers(doc: Doc) -> list[Doc]:
    containers: list[Doc] = doc["spec"]["template"]["spec"]["containers"]
    return containers


def by_kind(kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in applied() if d["kind"] == kind}
