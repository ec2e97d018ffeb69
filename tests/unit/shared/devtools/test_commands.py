"""The development commands as an operator meets them: the chaos run does not restart the host's
servers unless that is spelled out."""

from __future__ import annotations

from click.testing import CliRunner

from services.cli import main


def test_the_chaos_run_refuses_to_restart_the_host_servers_unless_told_to() -> None:
    refused = CliRunner().invoke(main, ["chaos", "--inquiries", "1"])
    assert refused.exit_code == 2
    assert "--restart-host-servers" in refused.output


def test_the_officers_command_list_names_the_chaos_run_as_a_development_tool() -> None:
    listing = CliRunner().invoke(main, ["chaos", "--help"])
    assert listing.exit_code == 0
    assert "restarts the host's RabbitMQ and PostgreSQL" in " ".join(listing.output.split())
