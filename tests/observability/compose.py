"""deploy/compose.yaml as the tests read it: the commands the services run with."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from services.generators.observability import DEPLOY_DIR

COMPOSE_FILE = DEPLOY_DIR / "compose.yaml"


def compose_commands() -> dict[str, list[str]]:
    """Each compose service's command, with `bamsos` resolved to this environment's script."""
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    bamsos = str(Path(sys.executable).parent / "bamsos")
    return {
        name: [bamsos if part == "bamsos" else part for part in spec["command"]]
        for name, spec in services.items()
        if spec.get("command", [None])[0] == "bamsos"
    }
