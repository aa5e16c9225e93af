#!/usr/bin/env bash
# Installs ONNX's checker (the Python package onnx, from Debian's python3-onnx) unless /usr/bin/python3 already has it.
# The ONNX export tests run it on every exported file; with NEURALNET_REQUIRE_ONNX_CHECKER=1 (set by .ci/run) they fail
# rather than skip when it is missing. Needs root or sudo for apt-get.
set -euo pipefail
bash "$(dirname "$0")/install-debian-python-package.sh" python3-onnx onnx "ONNX's checker for the export tests"
