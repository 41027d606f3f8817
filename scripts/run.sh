#!/usr/bin/env bash
# The README's start command: installs what is missing, builds, and opens the desktop app on
# its default database with the built-in gan-mixture2d preset. Extra arguments go to the app.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh"
"$here/scripts/build.sh"
exec "${WB_BUILD_DIR:-$here/build}/app/workbench" --preset gan-mixture2d "$@"
