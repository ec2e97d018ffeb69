#!/usr/bin/env bash
# Makes sure the local RabbitMQ (127.0.0.1:5672) and PostgreSQL (127.0.0.1:5432) answer, as
# `make demo`, `make test` and CI expect (docs/servers.md). Silent when both answer. A server that
# is installed but stopped is started (as root); a server that is not installed is named, with the
# Debian package to install, in one line, and the script exits 1.
set -euo pipefail

say() { echo "local-servers: $*"; }
fail() {
  echo "local-servers: $*" >&2
  exit 1
}
answers() { timeout 2 bash -c "</dev/tcp/127.0.0.1/$1" 2>/dev/null; }
# The PostgreSQL version whose cluster `main` to start (the newest, if several are installed).
pg_version() {
  local dirs=(/etc/postgresql/*/)
  [[ -d ${dirs[0]} ]] || return 0
  basename "$(printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1)"
}

rabbitmq_up=true
postgres_up=true
answers 5672 || rabbitmq_up=false
answers 5432 || postgres_up=false
if $rabbitmq_up && $postgres_up; then
  exit 0
fi

# Anything missing is reported before anything is started, in one line.
names=()
packages=()
if ! $rabbitmq_up && ! command -v rabbitmq-server >/dev/null; then
  names+=(RabbitMQ)
  packages+=(rabbitmq-server)
fi
if ! $postgres_up && { ! command -v pg_ctlcluster >/dev/null || [[ -z $(pg_version) ]]; }; then
  names+=(PostgreSQL)
  packages+=(postgresql)
fi
if ((${#packages[@]} == 1)); then
  fail "${names[0]} is not installed: apt-get install ${packages[0]} (or run deploy/compose.yaml where Docker runs)"
elif ((${#packages[@]} == 2)); then
  fail "RabbitMQ and PostgreSQL are not installed: apt-get install ${packages[*]} (or run deploy/compose.yaml where Docker runs)"
fi

if ((EUID != 0)); then
  fail "a local server is installed but stopped; starting it needs root: sudo $0"
fi

if ! $rabbitmq_up; then
  say "RabbitMQ does not answer on 127.0.0.1:5672; starting it"
  rabbitmq-server -detached
  rabbitmqctl await_startup --timeout 120
  answers 5672 || fail "RabbitMQ started but does not answer on 127.0.0.1:5672"
fi

if ! $postgres_up; then
  say "PostgreSQL does not answer on 127.0.0.1:5432; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main start
  for _ in $(seq 60); do
    answers 5432 && exit 0
    sleep 1
  done
  fail "PostgreSQL started but does not answer on 127.0.0.1:5432 after 60 s"
fi
