"""The code that writes BAMSOS's committed, generated files: the Prometheus rules and the Grafana
dashboard (`observability`), the RabbitMQ users and permissions (`access`), both under `deploy/`
(`bamsos deploy-files`), and the contract's JSON Schema and AsyncAPI under `docs/contract/`
(`contract_docs`, `bamsos contract`). `--check` fails when a committed file drifts from its source."""

from pathlib import Path

# The repository's root, where deploy/ and docs/ live.
REPO_ROOT = Path(__file__).resolve().parents[2]
# Where the project's documents are published: the contract's schemas are named under it
# (`$id`), and the alert rules link the runbook there. A deployment that publishes them elsewhere
# changes it here and runs `bamsos deploy-files` and `bamsos contract`.
DOCS_URL = "https://bamsos.example/"
