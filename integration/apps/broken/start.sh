#!/bin/sh
# Stay up without serving anything, so `wget http://localhost:3000/up` always fails.
echo "broken app: running, never serving /up"
trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
