#!/usr/bin/env bash
# make bench compares Locust with wrk's ceiling on the same service: as root with apt, install wrk
# when it is missing, else say that the load benchmark will skip wrk's figures. Never fails.
set -u
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "bench: installing wrk with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if (apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk) >/tmp/soak-apt-wrk.log 2>&1; then
    exit 0
  fi
  echo "bench: apt-get could not install wrk (see /tmp/soak-apt-wrk.log)"
fi
echo "bench: no wrk; the load benchmark prints Locust's figures without wrk's ceiling"
