#!/usr/bin/env bash
# Installs Debian's chromium for the DigitServer browser test (tests/DigitServer.Tests), unless a Chromium is already
# on the machine. Idempotent: prints the browser's path and exits when one is found. The test fixture runs this script
# itself when it finds no browser, so `dotnet test NeuralNet.sln -c Release` works on a fresh machine; .ci/run runs it
# before the tests. Needs root or sudo for apt-get. No browser is downloaded by the test library.
set -euo pipefail

find_browser() {
  local candidate
  if [ -n "${NEURALNET_CHROMIUM:-}" ] && [ -x "${NEURALNET_CHROMIUM}" ]; then
    echo "${NEURALNET_CHROMIUM}"
    return 0
  fi
  for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if browser="$(find_browser)"; then
  echo "install-browser: chromium found at $browser"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-browser: chromium is missing and this user is not root and has no sudo; install Debian's chromium package by hand" >&2
    exit 1
  fi
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-browser: installing Debian's chromium (apt-get)"
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends chromium >/dev/null

if browser="$(find_browser)"; then
  echo "install-browser: chromium installed at $browser ($("$browser" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
echo "install-browser: apt-get finished but no chromium is on the PATH" >&2
exit 1
