#!/usr/bin/env bash
# Installs a Debian Python package for /usr/bin/python3 unless it can already import the module.
# Usage: bash .ci/install-debian-python-package.sh <debian-package> <module to import> <what it is for>
# A fresh machine may have no package lists yet: the package lists are updated once if the first attempt cannot find
# the package. Needs root or sudo for apt-get.
set -euo pipefail
package="$1" module="$2" purpose="$3"

version() { /usr/bin/python3 -c "import $module; print(getattr($module, '__version__', '?'))"; }

if /usr/bin/python3 -c "import $module" 2>/dev/null; then
  echo "$module $(version) is installed ($purpose)"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q "$package" >/dev/null || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "$package" >/dev/null; }
echo "$module $(version) installed ($purpose)"
