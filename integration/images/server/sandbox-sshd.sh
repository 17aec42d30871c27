#!/bin/sh
# sandbox-sshd start|stop: start sshd, or kill every sshd process (listener and sessions).
set -u
case "${1:-}" in
  start)
    mkdir -p /run/sshd
    /usr/sbin/sshd
    ;;
  stop)
    for comm in /proc/[0-9]*/comm; do
      [ "$(cat "$comm" 2>/dev/null)" = sshd ] || continue
      pid=${comm#/proc/}; pid=${pid%/comm}
      kill -9 "$pid" 2>/dev/null || true
    done
    rm -f /run/sshd.pid
    ;;
  *)
    echo "usage: sandbox-sshd start|stop" >&2
    exit 2
    ;;
esac
