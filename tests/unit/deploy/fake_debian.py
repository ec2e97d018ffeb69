"""A fake Debian machine in a folder, for running deploy/local-servers.sh without touching the real
servers: its PATH holds only recording stubs of the system's commands (apt-get, id, timeout, the
RabbitMQ and PostgreSQL tools) and links to the plain tools the script uses (sed, awk, sort, ...).

A port "answers" when a file says so: the stubs that start a server write it. `apt-get install`
puts the package's commands on the PATH (PostgreSQL's with Debian's default pg_hba.conf); every
call is written, one line each, to `calls`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).parents[3] / "deploy" / "local-servers.sh"
PLAIN_TOOLS = (
    "bash",
    "sed",
    "awk",
    "sort",
    "tail",
    "seq",
    "sleep",
    "cat",
    "touch",
    "grep",
    "rm",
    "cp",
    "mkdir",
)

# Debian 12's pg_hba.conf of a fresh cluster, without its comments.
DEBIAN_HBA = """\
local   all             postgres                                peer
local   all             all                                     peer
host    all             all             127.0.0.1/32            scram-sha-256
host    all             all             ::1/128                 scram-sha-256
local   replication     all                                     peer
host    replication     all             127.0.0.1/32            scram-sha-256
host    replication     all             ::1/128                 scram-sha-256
"""

_RECORD = 'echo "${0##*/} $*" >> "$FAKE/calls"\n'

# Each stub: bash, with $FAKE the machine's folder.
_STUBS = {
    "id": '[[ $1 == -u ]] && cat "$FAKE/uid"\n',
    # timeout 2 bash -c "</dev/tcp/127.0.0.1/<port>": the port answers when its file is there.
    "timeout": "last=${!#}\n[[ -e $FAKE/up/${last##*/} ]]\n",
    "apt-get": _RECORD
    + """\
case $1 in
update) rm -f "$FAKE/stale" ;;
install)
  [[ -e $FAKE/stale ]] && exit 100
  for p in "$@"; do
    [[ -d $FAKE/packages/$p ]] || continue
    cp "$FAKE/packages/$p/"* "$FAKE/bin/"
    [[ $p == postgresql ]] && { mkdir -p "$FAKE/etc"; cp "$FAKE/debian_hba" "$FAKE/etc/pg_hba.conf"; }
    [[ -e $FAKE/autostart ]] && touch "$FAKE/up/$(cat "$FAKE/packages/$p/.port")"
  done ;;
esac
exit 0
""",
}
_PORTS = {"rabbitmq-server": "5672", "postgresql": "5432"}  # where the package's server answers
_PACKAGES = {
    "rabbitmq-server": {
        "rabbitmq-server": _RECORD + 'if [[ $1 == -detached ]]; then touch "$FAKE/up/5672"; fi\n',
        "rabbitmqctl": _RECORD,
    },
    "postgresql": {
        "pg_lsclusters": "echo '15 main 5432 down postgres /var/lib/postgresql/15/main log'\n",
        "pg_conftool": 'echo "$FAKE/etc/pg_hba.conf"\n',
        "pg_ctlcluster": _RECORD + 'if [[ $4 == start ]]; then touch "$FAKE/up/5432"; fi\n',
        # The server's answer: postgres@127.0.0.1 gets in only where pg_hba.conf trusts it.
        "psql": _RECORD
        + """\
grep -Eq '^host +all +all +127\\.0\\.0\\.1/32 +trust$' "$FAKE/etc/pg_hba.conf" || {
  echo 'psql: error: fe_sendauth: no password supplied' >&2
  exit 2
}
[[ $* == *"CREATE ROLE root"* ]] && touch "$FAKE/role_root"
[[ $* == *"FROM pg_roles"* && -e $FAKE/role_root ]] && echo 1
exit 0
""",
    },
}


@dataclass(frozen=True)
class Run:
    code: int
    output: str  # stdout and stderr together


class FakeDebian:
    """The machine: which packages are installed, which servers answer, who runs the script."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in ("bin", "up", "packages"):
            (root / folder).mkdir()
        for tool in PLAIN_TOOLS:
            found = shutil.which(tool)
            assert found, f"{tool} is not on this machine"
            (root / "bin" / tool).symlink_to(found)
        for name, body in _STUBS.items():
            self._stub(root / "bin" / name, body)
        for package, files in _PACKAGES.items():
            (root / "packages" / package).mkdir()
            for name, body in files.items():
                self._stub(root / "packages" / package / name, body)
            (root / "packages" / package / ".port").write_text(_PORTS[package])
        (root / "debian_hba").write_text(DEBIAN_HBA)
        (root / "calls").write_text("")
        self.run_as(0)

    def _stub(self, path: Path, body: str) -> None:
        path.write_text(f'#!/bin/bash\nFAKE="{self.root}"\n{body}')
        path.chmod(0o755)

    def run_as(self, uid: int) -> None:
        (self.root / "uid").write_text(f"{uid}\n")

    def installed(self, *packages: str) -> None:
        """As if `apt-get install` had run before."""
        self.apt_get("install", *packages)
        (self.root / "calls").write_text("")

    def apt_get(self, *args: str) -> None:
        subprocess.run([self.root / "bin" / "apt-get", *args], check=True, env=self._env())

    def answering(self, *ports: int) -> None:
        for port in ports:
            (self.root / "up" / str(port)).touch()

    def stale_package_lists(self) -> None:
        """`apt-get install` fails until `apt-get update` has run, as on a machine just made."""
        (self.root / "stale").touch()

    def packages_start_their_servers(self) -> None:
        """Debian's package scripts start the server they install (where init scripts may run)."""
        (self.root / "autostart").touch()

    def answers(self, port: int) -> bool:
        return (self.root / "up" / str(port)).exists()

    def calls(self) -> list[str]:
        return (self.root / "calls").read_text().splitlines()

    def hba(self) -> str:
        return (self.root / "etc" / "pg_hba.conf").read_text()

    def run_script(self) -> Run:
        done = subprocess.run(
            ["bash", SCRIPT],
            env=self._env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=60,
        )
        return Run(done.returncode, done.stdout)

    def _env(self) -> dict[str, str]:
        return {"PATH": str(self.root / "bin"), "HOME": str(self.root), "LANG": os.environ.get("LANG", "C")}
