#!/usr/bin/env bash
# Installs every Debian package the build, the app and the tests need, and fetches
# QCustomPlot's source from Debian's source package. Idempotent; quick when all is there.
# python3-torch (Debian's, the same LibTorch build) gives the tests torchrun and bench/run its
# PyTorch baselines; --bench is kept for older scripts and adds nothing now.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

packages=(
  build-essential cmake ninja-build ccache pkg-config dpkg-dev
  qt6-base-dev qt6-base-dev-tools libgl-dev
  libtorch-dev libopenblas0-openmp libdnnl-dev
  libgloo-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libcli11-dev libpng-dev zlib1g-dev
  xvfb xauth imagemagick
  dataset-fashion-mnist fortunes fortunes-min
  python3-torch
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

need_src=0
[ -f "$here/third_party/qcustomplot/qcustomplot.cpp" ] || need_src=1

if [ ${#missing[@]} -gt 0 ] || [ $need_src -eq 1 ]; then
  # deb-src entries for `apt-get source qcustomplot`.
  if ! grep -rqsE '^(Types: *deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      $sudo sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
        $sudo tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
    else
      echo "deb-src http://deb.debian.org/debian bookworm main" |
        $sudo tee /etc/apt/sources.list.d/debian-src.list >/dev/null
    fi
  fi
  $sudo apt-get update -qq >/dev/null
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  log="$(mktemp)"
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "setup: apt-get install failed (see above)" >&2
    exit 1
  fi
  rm -f "$log"
fi

if [ $need_src -eq 1 ]; then
  tmp="$(mktemp -d)"
  if ! (cd "$tmp" && apt-get source -qq --download-only qcustomplot >"$tmp/log" 2>&1 &&
    dpkg-source -x --skip-patches ./*.dsc src >>"$tmp/log" 2>&1); then
    cat "$tmp/log" >&2
    echo "setup: could not fetch QCustomPlot's source package (see above)" >&2
    exit 1
  fi
  mkdir -p "$here/third_party/qcustomplot"
  cp "$tmp"/src/qcustomplot.h "$tmp"/src/qcustomplot.cpp "$here/third_party/qcustomplot/"
  rm -rf "$tmp"
  echo "setup: QCustomPlot source in third_party/qcustomplot (patched for Qt 6 moc at build time)"
fi
echo "setup: all dependencies present"
