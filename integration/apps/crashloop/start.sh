#!/bin/sh
# Fail at start: docker restarts it, it fails again (a crash loop).
echo "crashloop app: missing DATABASE_URL, exiting"
exit 1
