#!/usr/bin/env bash
# Issue 20's fault injection in its long form, with a summary table:
#   1. test_fault_injection with 20 SIGKILLs at random moments and a 60 s lock (ctest runs it
#      with 5 kills and a 10 s lock);
#   2. as root, where mounts are allowed: a real full tmpfs under a run, and a read-only file
#      system under the database (the tests use RLIMIT_FSIZE, which needs no privileges).
# Usage: scripts/fault-inject.sh [--kills N] [--lock-seconds S]   (after scripts/build.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WB_BUILD_DIR:-$here/build}"
kills=20
lock=60
while [ $# -gt 0 ]; do
    case "$1" in
        --kills) kills="$2"; shift 2 ;;
        --lock-seconds) lock="$2"; shift 2 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "fault-inject.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
cli="$build/app/workbench-cli"
[ -x "$cli" ] || { echo "fault-inject.sh: build first (scripts/build.sh)" >&2; exit 2; }
work="$(mktemp -d)"
mounted=()
cleanup() {
    for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
mkdir -p "$HOME"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
rows=()

echo "== test_fault_injection: $kills kills, a $lock s lock"
if WB_FAULT_KILLS="$kills" WB_FAULT_LOCK_S="$lock" QT_QPA_PLATFORM=offscreen \
    "$build/tests/app/test_fault_injection" 2>&1 | tee "$work/tests.log"; then
    outcome=passed
else
    outcome=FAILED
fi
rows+=("$kills SIGKILLs at random moments, then resume|$(grep -o '[0-9]* kills:.*' "$work/tests.log" | head -1 || echo "$outcome")")
rows+=("$lock s lock during a run|$(grep -o 'a [0-9]* s lock.*' "$work/tests.log" | head -1 || echo "$outcome")")
rows+=("test_fault_injection (disk full, folder deleted, NaN, memory)|$outcome")

integrity() {
    python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("pragma integrity_check").fetchone()[0])' "$1" 2>&1 | tail -1 || true
}
run_args=(--preset gan-mixture2d --set train.threads=1 --set checkpoint.every_steps=200)

if [ "$(id -u)" = 0 ] && mkdir -p "$work/full" && mount -t tmpfs -o size=3m tmpfs "$work/full" 2>/dev/null; then
    mounted+=("$work/full")
    echo "== a 3 MiB tmpfs fills up under a run"
    set +e
    "$cli" run "${run_args[@]}" --db "$work/full/runs.sqlite" --set train.steps=20000 \
        >"$work/full.out" 2>"$work/full.err"
    code=$?
    set -e
    tail -4 "$work/full.err"
    id="$(head -1 "$work/full.out")"
    left="$(find "$work/full" -name '*.tmp' | wc -l)"
    readable="$("$cli" --db "$work/full/runs.sqlite" runs >/dev/null 2>&1 && echo yes || echo no)"
    ok="$(integrity "$work/full/runs.sqlite")"
    umount "$work/full" || true
    mounted=()
    rows+=("disk full (tmpfs) during a run|exit $code, $left temporary files left, runs readable while full: $readable, integrity $ok")

    # A remount read-only under an open writer is refused by the kernel ("busy"), so the folder
    # turns read-only between runs: reading commands must work, writing ones must say why.
    echo "== the database's file system is read-only"
    mkdir -p "$work/ro"
    mount -t tmpfs -o size=64m tmpfs "$work/ro" && mounted+=("$work/ro")
    "$cli" run "${run_args[@]}" --db "$work/ro/runs.sqlite" --set train.steps=300 >/dev/null 2>&1
    mount -o remount,ro "$work/ro"
    set +e
    "$cli" --db "$work/ro/runs.sqlite" runs >/dev/null 2>&1
    reads=$?
    "$cli" --db "$work/ro/runs.sqlite" resume 1 --set train.steps=400 >/dev/null 2>"$work/ro.err"
    writes=$?
    set -e
    rows+=("read-only file system|runs: exit $reads; resume: exit $writes, '$(tail -1 "$work/ro.err" | cut -c1-120)'")
else
    rows+=("real tmpfs / read-only mount|skipped: needs root and mount permission")
fi

echo
echo "| fault | outcome |"
echo "|---|---|"
for r in "${rows[@]}"; do echo "| ${r%%|*} | ${r#*|} |"; done
[ "$outcome" = passed ]
