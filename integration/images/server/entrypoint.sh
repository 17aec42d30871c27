#!/bin/sh
# Sandbox server entrypoint: sshd + inner dockerd + registry forward, then wait.
set -eu

REGISTRY_TARGET="${SANDBOX_REGISTRY_TARGET:-kamal-registry:5000}"
REGISTRY_LOCAL_PORT="${SANDBOX_REGISTRY_LOCAL_PORT:-5555}"

install_authorized_key() {
  if [ -n "${SSH_AUTHORIZED_KEY:-}" ]; then
    printf '%s\n' "$SSH_AUTHORIZED_KEY" > /root/.ssh/authorized_keys
  elif [ -f /sandbox/authorized_key ]; then
    cp /sandbox/authorized_key /root/.ssh/authorized_keys
  fi
  chmod 0600 /root/.ssh/authorized_keys 2>/dev/null || true
}

start_dockerd() {
  dockerd --storage-driver overlay2 >>/var/log/dockerd.log 2>&1 &
  echo $! > /run/sandbox-dockerd.pid
}

forward_registry() {
  socat "TCP-LISTEN:${REGISTRY_LOCAL_PORT},bind=127.0.0.1,fork,reuseaddr" \
    "TCP:${REGISTRY_TARGET}" >>/var/log/registry-forward.log 2>&1 &
}

stop_all() {
  /usr/local/sbin/sandbox-sshd stop || true
  if [ -f /run/sandbox-dockerd.pid ]; then
    pid=$(cat /run/sandbox-dockerd.pid)
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  exit 0
}

ssh-keygen -A >/dev/null
install_authorized_key
/usr/local/sbin/sandbox-sshd start
start_dockerd
forward_registry
echo "sandbox server $(hostname) ready: sshd, dockerd, registry on 127.0.0.1:${REGISTRY_LOCAL_PORT}"

trap stop_all TERM INT
while :; do sleep 3600 & wait $!; done
