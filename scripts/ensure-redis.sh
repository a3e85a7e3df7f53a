#!/usr/bin/env bash
# Make sure a redis-server binary exists for runs; as root with apt, install it, else say
# that runs will fall back to fakeredis's TCP server. Never fails the setup.
set -u
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing redis-server with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if (apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server) >/tmp/soak-apt.log 2>&1; then
    exit 0
  fi
  echo "setup: apt-get could not install redis-server (see /tmp/soak-apt.log)"
fi
echo "setup: no redis-server; runs will use the fakeredis TCP fallback (recorded in run.json)"
