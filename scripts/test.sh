#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every test with ctest.
# Works without a display (Qt tests use the offscreen platform) and without a GPU. Afterwards it
# checks that the tests left the user's own data and config folders untouched.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh"
"$here/scripts/build.sh" "$@"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"

# Every ctest test runs with its own HOME and XDG folders (cmake/isolated_test.sh); this proves it.
# The app's own folders must not change at all; in the config folder, which other programs of a
# desktop session write to, no new entry may appear.
data_dir="${XDG_DATA_HOME:-$HOME/.local/share}/genai-workbench"
config_dir="${XDG_CONFIG_HOME:-$HOME/.config}"
stamp="$(mktemp)"
trap 'rm -f "$stamp"' EXIT
config_before="$(ls -A "$config_dir" 2>/dev/null || true)"
sleep 1  # file times have a resolution of a second on some file systems
ctest --test-dir "${WB_BUILD_DIR:-$here/build}" --output-on-failure -j 2
touched=()
for dir in "$data_dir" "$config_dir/genai-workbench"; do
  [ -e "$dir" ] || continue
  while IFS= read -r -d '' f; do touched+=("$f"); done < <(find "$dir" -newer "$stamp" -print0)
done
while IFS= read -r entry; do
  [ -n "$entry" ] && touched+=("$config_dir/$entry (new)")
done < <(comm -13 <(echo "$config_before" | sort) <(ls -A "$config_dir" 2>/dev/null | sort))
if [ ${#touched[@]} -gt 0 ]; then
  echo "test.sh: the tests changed the user's own folders (each test must use its temporary HOME):" >&2
  printf '  %s\n' "${touched[@]}" >&2
  exit 1
fi
echo "test.sh: the user's data and config folders are untouched"
