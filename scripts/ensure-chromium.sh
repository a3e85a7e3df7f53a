#!/usr/bin/env bash
# Headless Chromium renders report.html in the tests (console errors, every chart drawn) and in
# `make bench`. As root with apt, install Debian's package when it is missing; else say that those
# tests will be skipped. Never fails the setup.
set -u
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing chromium with apt-get (headless, for the report tests)"
  export DEBIAN_FRONTEND=noninteractive
  if (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium) >/tmp/soak-apt-chromium.log 2>&1; then
    exit 0
  fi
  echo "setup: apt-get could not install chromium (see /tmp/soak-apt-chromium.log)"
fi
echo "setup: no chromium; the tests that render report.html in a browser will be skipped"
