"""The broker and the database of deploy/k8s/: the RabbitMQ cluster operator's `RabbitmqCluster`
(three nodes on three hosts, TLS only, a disruption budget) and CloudNativePG's `Cluster` (three
instances on three hosts, a synchronous standby, WAL archive and nightly base backups to an object
store through the Barman Cloud plugin). deploy/k8s/README.md says why each choice."""

from __future__ import annotations

from typing import Any

from services.generators.k8s_common import (
    BACKUP_SECRET,
    DATABASE,
    DB_SERVICE_SECRET,
    DEFINITIONS_SECRET,
    POSTGRES,
    POSTGRES_INSTANCES,
    RABBITMQ,
    RABBITMQ_ADMIN_SECRET,
    RABBITMQ_NODES,
    RABBITMQ_TLS_SECRET,
    SERVICE_LOGIN,
    doc,
)
from shared.runtime.storage import SERVICE_ROLE

# The operator's own default in cluster-operator v2.22.3; deploy/compose.yaml runs the same.
RABBITMQ_IMAGE = "rabbitmq:4.2.6-management"
# Two cores: the operator's default CPU limit (its default request is one); quorum queues' Raft
# log and the TLS handshakes of every BAMSOS process share them. Its production example runs four.
RABBITMQ_CPU = "2"
# The major version the project's tests run on (docs/servers.md), pinned to a minor release that
# CloudNativePG's own documentation names (v1.30.0, docs/src/container_images.md): a restart never
# pulls a different PostgreSQL. Raise it deliberately, one minor at a time.
POSTGRES_IMAGE = "ghcr.io/cloudnative-pg/postgresql:15.14-system-trixie"
BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io"
OBJECT_STORE = "bamsos-backups"
# CloudNativePG's schedule has a seconds field first: every night at 18:00 UTC, 01:00 WIB, when
# the office is closed.
BACKUP_SCHEDULE = "0 0 18 * * *"
BACKUP_RETENTION = "30d"
# Labels the operators put on their pods, which the budgets and policies select by.
RABBITMQ_POD = {"app.kubernetes.io/name": RABBITMQ}
POSTGRES_POD = {"cnpg.io/cluster": POSTGRES}


def _one_per_host(selector: dict[str, str]) -> dict[str, Any]:
    """Required anti-affinity: never two of these pods on one node, so one drain takes one."""
    term = {"labelSelector": {"matchLabels": selector}, "topologyKey": "kubernetes.io/hostname"}
    return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}


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
        "resources": {"requests": {"cpu": RABBITMQ_CPU, "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
        "persistence": {"storage": "20Gi"},
        "affinity": _one_per_host(RABBITMQ_POD),
        # AMQP, the management API and the Prometheus endpoint on TLS only (5671, 15671, 15691).
        "tls": {"secretName": RABBITMQ_TLS_SECRET, "disableNonTLSListeners": True},
        # The operator's default user is `bamsos-admin`, which the definitions create (a generated
        # default user would be skipped by the definitions import, leaving the operator a Secret
        # for a user that does not exist).
        "secretBackend": {"externalSecret": {"name": RABBITMQ_ADMIN_SECRET}},
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
    return doc("RabbitmqCluster", "rabbitmq.com/v1beta1", RABBITMQ, {"spec": spec})


def rabbitmq_disruption_budget() -> dict[str, Any]:
    """One broker away at a time: quorum queues keep their majority (two of three) through a drain."""
    spec = {"maxUnavailable": 1, "selector": {"matchLabels": RABBITMQ_POD}}
    return doc("PodDisruptionBudget", "policy/v1", RABBITMQ, {"spec": spec})


def postgres_cluster() -> dict[str, Any]:
    # CloudNativePG's `<cluster>-rw` Service always points at the primary, so the services follow
    # a failover without a multi-host URL. Each process holds at most 4 connections (make_engine).
    spec = {
        "instances": POSTGRES_INSTANCES,
        "imageName": POSTGRES_IMAGE,
        "storage": {"size": "20Gi"},
        "bootstrap": {"initdb": {"database": DATABASE, "owner": DATABASE}},
        # The services' login, in the role the migrations grant (and deny the access log's UPDATE
        # and DELETE); the role is made here too, so the login exists before the first migration.
        "managed": {
            "roles": [
                {"name": SERVICE_ROLE, "ensure": "present", "login": False},
                {
                    "name": SERVICE_LOGIN,
                    "ensure": "present",
                    "login": True,
                    "inRoles": [SERVICE_ROLE],
                    "passwordSecret": {"name": DB_SERVICE_SECRET},
                },
            ]
        },
        "postgresql": {
            "parameters": {"max_connections": "200"},
            # A commit returns once one standby has it too (quorum of one among two): a failover
            # loses no acknowledged work. `required`: with no standby up, writes wait rather than
            # run unreplicated (README "Recovery point").
            "synchronous": {"method": "any", "number": 1, "dataDurability": "required"},
        },
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
        "affinity": {
            "enablePodAntiAffinity": True,
            "podAntiAffinityType": "required",
            "topologyKey": "kubernetes.io/hostname",
        },
        # The operator makes the instances' PodDisruptionBudgets (its default, said here).
        "enablePDB": True,
        "plugins": [
            {"name": BARMAN_PLUGIN, "isWALArchiver": True, "parameters": {"barmanObjectName": OBJECT_STORE}}
        ],
    }
    return doc("Cluster", "postgresql.cnpg.io/v1", POSTGRES, {"spec": spec})


def object_store() -> dict[str, Any]:
    """Where the WAL archive and the base backups go (the Barman Cloud plugin's ObjectStore): an S3
    bucket by default; the deployer names theirs and fills BACKUP_SECRET (README "Backups")."""
    credentials = {
        "accessKeyId": {"name": BACKUP_SECRET, "key": "ACCESS_KEY_ID"},
        "secretAccessKey": {"name": BACKUP_SECRET, "key": "ACCESS_SECRET_KEY"},
    }
    configuration = {
        "destinationPath": f"s3://{OBJECT_STORE}/",
        "s3Credentials": credentials,
        "wal": {"compression": "gzip"},
        "data": {"compression": "gzip"},
    }
    spec = {"configuration": configuration, "retentionPolicy": BACKUP_RETENTION}
    return doc("ObjectStore", "barmancloud.cnpg.io/v1", OBJECT_STORE, {"spec": spec})


def scheduled_backup() -> dict[str, Any]:
    """A base backup every night (and one at once), from a standby when one is up."""
    spec = {
        "schedule": BACKUP_SCHEDULE,
        "immediate": True,
        "backupOwnerReference": "self",
        "cluster": {"name": POSTGRES},
        "method": "plugin",
        "pluginConfiguration": {"name": BARMAN_PLUGIN},
        "target": "prefer-standby",
    }
    return doc("ScheduledBackup", "postgresql.cnpg.io/v1", f"{POSTGRES}-nightly", {"spec": spec})
