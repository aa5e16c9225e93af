#!/usr/bin/env bash
# Installs h5py (Debian's python3-h5py: the HDF5 library Keras itself writes and reads weights with) unless
# /usr/bin/python3 already has it. The NeuralNet.Keras tests write Keras-layout files with it and read NeuralNet's files
# back through it; with NEURALNET_REQUIRE_H5PY=1 (set by .ci/run) they fail rather than skip when it is missing.
# Needs root or sudo for apt-get.
set -euo pipefail

if /usr/bin/python3 -c "import h5py, numpy" 2>/dev/null; then
  echo "h5py $(/usr/bin/python3 -c 'import h5py; print(h5py.__version__)') is installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet: update once if the first attempt cannot find the package.
$sudo apt-get install -y -q python3-h5py >/dev/null || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q python3-h5py >/dev/null; }
echo "h5py $(/usr/bin/python3 -c 'import h5py; print(h5py.__version__)') installed"
