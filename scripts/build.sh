#!/usr/bin/env bash
# Configures and builds everything into build/ (or $WB_BUILD_DIR) with Ninja and ccache.
# Extra arguments go to CMake, e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch -DWB_BUILD_UI=OFF.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WB_BUILD_DIR:-$here/build}"
# ccache: relative paths so a fresh clone elsewhere hits the same cache; allow the LibTorch PCH.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$here}"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${WB_BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
