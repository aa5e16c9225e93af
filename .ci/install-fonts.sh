#!/usr/bin/env bash
# Installs the DejaVu fonts (Debian's fonts-dejavu-core) unless they are already there. SkiaSharp's Linux build, which
# NeuralNet.Plotting draws with, looks for fonts only under /usr/share/fonts/; with none there every plotting call throws
# (a picture without text would be worthless), so the plotting tests need them. Needs root or sudo for apt-get.
set -euo pipefail

font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
if [ -f "$font" ]; then
  echo "fonts-dejavu-core is installed ($font)"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet: update once if the first attempt cannot find the package.
$sudo apt-get install -y -q fonts-dejavu-core >/dev/null || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q fonts-dejavu-core >/dev/null; }
test -f "$font"
echo "fonts-dejavu-core installed ($font)"
