#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test with ctest.
# Works without a display (Qt tests use the offscreen platform) and without a GPU.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh"
"$here/scripts/build.sh" "$@"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
ctest --test-dir "${WB_BUILD_DIR:-$here/build}" --output-on-failure -j 2
