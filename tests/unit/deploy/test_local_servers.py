"""deploy/local-servers.sh on a fresh Debian machine: as root it installs, opens and starts what is
missing, so `make demo` and `make test` are all the set-up; without root it says the one command.

The machine is a fake (tests/unit/deploy/fake_debian.py): the real servers here are shared and stay
as they are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.deploy.fake_debian import DEBIAN_HBA, SCRIPT, FakeDebian

INSTALL = "apt-get install -y -q --no-install-recommends"
PSQL = "psql -h 127.0.0.1 -U postgres -d postgres -w -v ON_ERROR_STOP=1 -qAt"


@pytest.fixture
def machine(tmp_path: Path) -> FakeDebian:
    return FakeDebian(tmp_path)


def test_with_both_servers_answering_it_says_and_does_nothing(machine: FakeDebian) -> None:
    machine.installed("rabbitmq-server", "postgresql")
    machine.answering(5672, 5432)
    assert machine.run_script().output == ""
    assert machine.calls() == []


def test_on_a_fresh_machine_it_installs_both_servers_opens_postgresql_and_starts_them(
    machine: FakeDebian,
) -> None:
    run = machine.run_script()
    assert run.code == 0, run.output
    assert machine.calls() == [
        f"{INSTALL} rabbitmq-server postgresql",
        "rabbitmq-server -detached",
        "rabbitmqctl await_startup --timeout 120",
        "pg_ctlcluster --skip-systemctl-redirect 15 main start",
        f"{PSQL} -c SELECT 1 FROM pg_roles WHERE rolname = 'root'",
        f"{PSQL} -c CREATE ROLE root SUPERUSER LOGIN",
    ]
    assert machine.answers(5672) and machine.answers(5432)
    hba = machine.hba().splitlines()
    assert [line.split()[-1] for line in hba] == ["peer", "peer", "trust", "trust", "peer"] + [
        "scram-sha-256"
    ] * 2
    assert "superuser role root" in run.output.splitlines()[-1]


def test_a_second_run_finds_everything_and_is_silent(machine: FakeDebian) -> None:
    assert machine.run_script().code == 0
    first = len(machine.calls())
    assert machine.run_script().output == ""
    assert len(machine.calls()) == first


def test_package_lists_too_old_to_install_from_are_updated_first(machine: FakeDebian) -> None:
    machine.stale_package_lists()
    run = machine.run_script()
    assert run.code == 0, run.output
    assert machine.calls()[:3] == [
        f"{INSTALL} rabbitmq-server postgresql",
        "apt-get update -q",
        f"{INSTALL} rabbitmq-server postgresql",
    ]


def test_servers_the_packages_started_are_not_started_again(machine: FakeDebian) -> None:
    machine.packages_start_their_servers()
    run = machine.run_script()
    assert run.code == 0, run.output
    assert "rabbitmq-server -detached" not in machine.calls()
    assert "pg_ctlcluster --skip-systemctl-redirect 15 main reload" in machine.calls(), "the new access"
    assert "CREATE ROLE root" in machine.calls()[-1]


def test_an_installed_but_stopped_server_is_only_started(machine: FakeDebian) -> None:
    machine.installed("rabbitmq-server", "postgresql")
    machine.answering(5432)
    run = machine.run_script()
    assert run.code == 0, run.output
    assert machine.calls() == ["rabbitmq-server -detached", "rabbitmqctl await_startup --timeout 120"]
    assert machine.hba() == DEBIAN_HBA, "an existing cluster's access is the owner's business"


def test_without_root_it_names_the_one_command_to_run(machine: FakeDebian) -> None:
    machine.run_as(1000)
    machine.installed("rabbitmq-server")
    run = machine.run_script()
    assert run.code == 1
    assert (
        run.output
        == f"local-servers: postgresql not installed; installing and starting needs root: sudo {SCRIPT}\n"
    )
    assert machine.calls() == []
