#!/usr/bin/env bash
# Builds the libFuzzer harnesses in fuzz/ with clang-14 (ASan + UBSan) into build-fuzz/ and runs
# each for a bounded time, seeded from real files; prints each harness's executions and findings.
# Usage: scripts/fuzz.sh [--seconds N (per harness, default 60)] [--only NAME] [--jobs N]
# A crashing input is kept in build-fuzz/findings/<harness>/ (each run replaces the last run's;
# copy a fixed one to fuzz/regressions/<harness>/); the exit status is 1 when any harness found one. Needs clang-14 and libclang-rt-14-dev (Debian 12: apt-get install them).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${WB_FUZZ_BUILD_DIR:-$here/build-fuzz}"
seconds=60
only=""
jobs=1
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --only) only="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
        *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
for tool in clang-14 clang++-14; do
    command -v "$tool" >/dev/null || {
        echo "fuzz.sh: $tool is missing: apt-get install clang-14 libclang-rt-14-dev" >&2
        exit 2
    }
done

export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$here}"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWB_FUZZ=ON \
    -DWB_BUILD_UI=OFF -DWB_BUILD_TESTS=OFF -DWB_WITH_CUDA_KERNELS=OFF \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build "$build" -j "$jobs" --target fuzzers

harnesses=(fuzz_run_config fuzz_preset_file fuzz_metric_series fuzz_database fuzz_idx
           fuzz_text_corpus fuzz_checkpoint_archive)

# Seeds: the committed ones (fuzz/seeds/), the kept findings (fuzz/regressions/), and real files
# from the repository and Debian's dataset packages where installed.
seed() {  # seed HARNESS FILE...
    local dir="$build/corpus/$1"
    shift
    mkdir -p "$dir"
    for f in "$@"; do [ -f "$f" ] && cp -f "$f" "$dir/" || true; done
}
for h in "${harnesses[@]}"; do
    seed "$h" "$here"/fuzz/seeds/"$h"/* "$here"/fuzz/regressions/"$h"/*
done
seed fuzz_preset_file "$here"/resources/presets/*.json
seed fuzz_checkpoint_archive "$here"/tests/data/checkpoint-v1/ckpt-3.pt
fm=/usr/share/datasets/fashion-mnist
seed fuzz_idx "$fm/t10k-labels-idx1-ubyte.gz"
if [ -f "$fm/t10k-labels-idx1-ubyte.gz" ]; then
    gzip -dc "$fm/t10k-labels-idx1-ubyte.gz" | head -c 2000 >"$build/corpus/fuzz_idx/labels-head"
fi
seed fuzz_text_corpus /usr/share/games/fortunes/ascii-art /usr/share/games/fortunes/linux
for f in "$here"/resources/presets/*.json; do
    python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["overlay"]))' \
        "$f" >"$build/corpus/fuzz_run_config/$(basename "$f")" 2>/dev/null || true
done

# LibTorch's zip reader keeps a buffer when it rejects an archive (checkpoint_archive): leaks
# inside LibTorch are suppressed, as in scripts/sanitize.sh; every other leak is a finding.
export LSAN_OPTIONS="suppressions=$here/scripts/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="suppressions=$here/scripts/sanitizers/ubsan.supp:print_stacktrace=1"
status=0
printf '%-26s %12s %9s %s\n' harness executions findings "log"
for h in "${harnesses[@]}"; do
    [ -n "$only" ] && [ "$only" != "$h" ] && continue
    findings="$build/findings/$h"
    log="$build/logs/$h.log"
    rm -rf "$findings"
    mkdir -p "$findings" "$build/logs"
    # Large inputs only for the file formats; -timeout turns a hang into a finding.
    max_len=4096
    case "$h" in fuzz_database | fuzz_idx | fuzz_checkpoint_archive) max_len=131072 ;; esac
    (cd "$build/fuzz" && TMPDIR="${TMPDIR:-/tmp}" ./"$h" "$build/corpus/$h" -max_total_time="$seconds" \
        -max_len="$max_len" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$findings/") >"$log" 2>&1 || true
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
    found=$(find "$findings" -type f | wc -l)
    printf '%-26s %12s %9s %s\n' "$h" "${execs:-?}" "$found" "$log"
    [ "$found" -gt 0 ] && status=1
    [ -z "$execs" ] && status=1
done
exit "$status"
