#!/usr/bin/env bash
# Installs Graphviz (Debian's graphviz) unless its dot program is already on the PATH. NeuralNet.Plotting's ModelPlot
# draws model diagrams with it, as Keras' plot_model does; with NEURALNET_REQUIRE_GRAPHVIZ=1 (set by .ci/run) its
# drawing tests fail rather than skip when it is missing. Needs root or sudo for apt-get.
set -euo pipefail

if command -v dot >/dev/null 2>&1; then
  echo "graphviz is installed ($(command -v dot))"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet: update once if the first attempt cannot find the package.
$sudo apt-get install -y -q --no-install-recommends graphviz >/dev/null || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends graphviz >/dev/null; }
command -v dot >/dev/null
echo "graphviz installed ($(command -v dot))"
