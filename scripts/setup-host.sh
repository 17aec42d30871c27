#!/usr/bin/env bash
# Make this machine ready for the kamal-tasks sandbox and integration suite.
#
# Idempotent, run as root: installs from Debian only what is missing, then starts
# the Docker engine in the background if none answers, and waits for it.
set -euo pipefail

DOCKERD_LOG=/var/log/kamal-tasks-dockerd.log
DOCKERD_WAIT_SECONDS=60

log() { printf 'setup-host: %s\n' "$*"; }
fail() { printf 'setup-host: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run me as root (apt-get and dockerd need it)"

# package -> "command that proves it is installed|what it is"
declare -A PROBES=(
  [docker.io]="/usr/sbin/dockerd|Docker engine (dockerd)"
  [openssh-server]="/usr/sbin/sshd|OpenSSH server"
  [busybox-static]="busybox-static|static busybox"
  [docker-registry]="/usr/bin/docker-registry|Docker registry binary"
  [debootstrap]="/usr/sbin/debootstrap|debootstrap"
  [socat]="/usr/bin/socat|socat"
)
ORDER=(docker.io openssh-server busybox-static docker-registry debootstrap socat)

is_installed() {
  local package=$1 probe=${PROBES[$1]%%|*}
  if [[ $probe == /* ]]; then
    [ -x "$probe" ]
  else
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'
  fi
}

install_missing_packages() {
  local missing=() package
  for package in "${ORDER[@]}"; do
    if ! is_installed "$package"; then
      log "${PROBES[$package]#*|} is missing: installing Debian's $package"
      missing+=("$package")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "all packages present (${ORDER[*]})"
    return
  fi
  log "running apt-get update"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

engine_answers() { docker info >/dev/null 2>&1; }

start_engine() {
  if engine_answers; then
    log "Docker engine already answers ($(docker info --format '{{.ServerVersion}}'))"
    return
  fi
  command -v dockerd >/dev/null || fail "dockerd not found even after installing docker.io"
  log "Docker engine not running: starting dockerd (log: $DOCKERD_LOG)"
  nohup setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local waited=0
  until engine_answers; do
    if [ "$waited" -ge "$DOCKERD_WAIT_SECONDS" ]; then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      fail "Docker engine did not answer within ${DOCKERD_WAIT_SECONDS}s (see $DOCKERD_LOG)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "Docker engine up after ${waited}s ($(docker info --format '{{.ServerVersion}}'))"
}

install_missing_packages
start_engine
log "ready: run 'inv sandbox.up' or 'python -m pytest integration'"
