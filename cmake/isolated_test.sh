#!/bin/sh
# Runs one test with HOME and every XDG folder in a fresh temporary folder of its own, removed
# afterwards, so no test can read or write the user's real data, config or cache.
set -u
root="$(mktemp -d "${TMPDIR:-/tmp}/wb-test-home.XXXXXX")" || exit 1
trap 'rm -rf "$root"' EXIT INT TERM
mkdir -p "$root/home" "$root/data" "$root/config" "$root/cache" "$root/state" "$root/runtime"
chmod 700 "$root/runtime"
HOME="$root/home" XDG_DATA_HOME="$root/data" XDG_CONFIG_HOME="$root/config" \
  XDG_CACHE_HOME="$root/cache" XDG_STATE_HOME="$root/state" XDG_RUNTIME_DIR="$root/runtime" \
  "$@"
