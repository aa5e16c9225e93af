#!/usr/bin/env bash
# Installs ONNX's checker (the Python package onnx, from Debian's python3-onnx) unless /usr/bin/python3 already has it.
# The ONNX export tests run it on every exported file; with NEURALNET_REQUIRE_ONNX_CHECKER=1 (set by .ci/run) they fail
# rather than skip when it is missing. Needs root or sudo for apt-get.
set -euo pipefail

if /usr/bin/python3 -c "import onnx.checker" 2>/dev/null; then
  echo "onnx $(/usr/bin/python3 -c 'import onnx; print(onnx.__version__)') is installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet: update once if the first attempt cannot find the package.
$sudo apt-get install -y -q python3-onnx >/dev/null || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q python3-onnx >/dev/null; }
echo "onnx $(/usr/bin/python3 -c 'import onnx; print(onnx.__version__)') installed"
