#!/usr/bin/env bash
# Makes sure the local RabbitMQ (127.0.0.1:5672) and PostgreSQL (127.0.0.1:5432) answer, as
# `make demo`, `make test` and CI expect (docs/servers.md). Silent when both answer. As root, a server
# that is not installed is installed from the machine's package registry (Debian's rabbitmq-server,
# postgresql), a fresh PostgreSQL gets the local access BAMSOS uses, and a stopped server is started.
# Without root it prints the one command to run, and exits 1.
set -euo pipefail

say() { echo "local-servers: $*"; }
fail() {
  echo "local-servers: $*" >&2
  exit 1
}
answers() { timeout 2 bash -c "</dev/tcp/127.0.0.1/$1" 2>/dev/null; }
# The PostgreSQL version whose cluster `main` to use (the newest, if several are installed).
pg_version() {
  command -v pg_lsclusters >/dev/null || return 0
  pg_lsclusters --no-header | awk '$2 == "main" { print $1 }' | sort -V | tail -n 1
}

install_packages() {
  say "installing $* from the package registry"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "$@" >/dev/null; } ||
    fail "apt-get install $* failed"
}

# BAMSOS connects as `postgres` over 127.0.0.1 without a password (BAMSOS_DATABASE_URL's default);
# Debian's fresh cluster asks for one on TCP: its loopback lines become `trust`, as on this
# project's machines. Only a cluster this script installed is changed.
trust_loopback() {
  local hba
  hba=$(pg_conftool -s "$1" main show hba_file)
  sed -i -E 's#^(host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1/32|::1/128)[[:space:]]+)[^[:space:]]+[[:space:]]*$#\1trust#' "$hba"
}

# Root's own psql over the socket (peer), as on this project's machines: a superuser role `root`.
add_root_role() {
  local sql=(psql -h 127.0.0.1 -U postgres -d postgres -w -v ON_ERROR_STOP=1 -qAt)
  if [[ -z $("${sql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'root'") ]]; then
    "${sql[@]}" -c "CREATE ROLE root SUPERUSER LOGIN"
  fi
}

rabbitmq_up=true
postgres_up=true
answers 5672 || rabbitmq_up=false
answers 5432 || postgres_up=false
if $rabbitmq_up && $postgres_up; then
  exit 0
fi

packages=()
if ! $rabbitmq_up && ! command -v rabbitmq-server >/dev/null; then
  packages+=(rabbitmq-server)
fi
if ! $postgres_up && [[ -z $(pg_version) ]]; then
  packages+=(postgresql)
fi

if (($(id -u) != 0)); then
  if ((${#packages[@]})); then
    fail "${packages[*]} not installed; installing and starting needs root: sudo $0"
  fi
  fail "a local server is installed but stopped; starting it needs root: sudo $0"
fi

fresh_postgres=false
if ((${#packages[@]})); then
  install_packages "${packages[@]}"
  [[ " ${packages[*]} " == *" postgresql "* ]] && fresh_postgres=true
fi
version=$(pg_version)
if ! $postgres_up && [[ -z $version ]]; then
  fail "PostgreSQL is installed but has no cluster 'main': pg_createcluster <version> main"
fi
$fresh_postgres && trust_loopback "$version"

# Debian's package scripts may already have started a server they installed.
if ! answers 5672; then
  say "RabbitMQ does not answer on 127.0.0.1:5672; starting it"
  rabbitmq-server -detached
  rabbitmqctl await_startup --timeout 120 >/dev/null
  answers 5672 || fail "RabbitMQ started but does not answer on 127.0.0.1:5672"
fi

if ! answers 5432; then
  say "PostgreSQL does not answer on 127.0.0.1:5432; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 60); do
    answers 5432 && break
    sleep 1
  done
  answers 5432 || fail "PostgreSQL started but does not answer on 127.0.0.1:5432 after 60 s"
elif $fresh_postgres; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
fi
if $fresh_postgres; then
  add_root_role
  say "PostgreSQL $version: user postgres trusted on 127.0.0.1 and ::1, superuser role root added"
fi
