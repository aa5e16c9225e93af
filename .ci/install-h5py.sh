#!/usr/bin/env bash
# Installs h5py (Debian's python3-h5py: the HDF5 library Keras itself writes and reads weights with) unless
# /usr/bin/python3 already has it. The NeuralNet.Keras tests write Keras-layout files with it and read NeuralNet's files
# back through it; with NEURALNET_REQUIRE_H5PY=1 (set by .ci/run) they fail rather than skip when it is missing.
# Needs root or sudo for apt-get.
set -euo pipefail
bash "$(dirname "$0")/install-debian-python-package.sh" python3-h5py h5py "the Keras file tests"
