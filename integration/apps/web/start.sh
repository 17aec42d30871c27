#!/bin/sh
# Serve /www on port 3000 in the foreground; /version answers $KAMAL_VERSION.
set -e
printf '%s' "${KAMAL_VERSION:-unknown}" > /www/version
printf 'OK' > /www/up
httpd -f -p 3000 -h /www &
httpd_pid=$!
trap 'kill "$httpd_pid" 2>/dev/null; exit 0' TERM INT
wait "$httpd_pid"
