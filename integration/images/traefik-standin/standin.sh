#!/bin/sh
# Accept and ignore any arguments; stay up until stopped.
echo "traefik-standin: this is a STAND-IN for Traefik. It does not route any traffic."
echo "traefik-standin: ignoring arguments: $*"
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
