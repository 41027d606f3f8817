#!/usr/bin/env bash
# Builds the whole project and its tests under sanitizers and runs the test suite with ctest:
#   scripts/sanitize.sh           ASan + UBSan into build-asan/
#   scripts/sanitize.sh --tsan    TSan into build-tsan/ (run threads, event queue, Recorder, bridge)
# Extra arguments after -- go to ctest (e.g. -- -R test_storage). --jobs N builds with N jobs
# (default 1); --targets "T1 T2" builds only those (e.g. the tests that -R selects).
# Suppressions (scripts/sanitizers/) cover only LibTorch and OpenMP internals, each with its
# reason. Exit status: ctest's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode=asan
jobs=1
ctest_args=()
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --tsan) mode=tsan; shift ;;
        --jobs) jobs="$2"; shift 2 ;;
        --targets) read -r -a targets <<<"$2"; shift 2 ;;
        --) shift; ctest_args=("$@"); break ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "sanitize.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
supp="$here/scripts/sanitizers"
if [ "$mode" = asan ]; then
    build="${WB_SANITIZE_BUILD_DIR:-$here/build-asan}"
    sanitizers=address,undefined
    export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1:abort_on_error=0:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="suppressions=$supp/ubsan.supp:print_stacktrace=1:halt_on_error=1"
else
    build="${WB_SANITIZE_BUILD_DIR:-$here/build-tsan}"
    sanitizers=thread
    # die_after_fork=0: test_storage_interrupted forks a child writer from a threaded test process.
    export TSAN_OPTIONS="suppressions=$supp/tsan.supp:halt_on_error=1:second_deadlock_stack=1:die_after_fork=0"
fi
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$here}"
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWB_SANITIZE="$sanitizers" -DWB_WITH_CUDA_KERNELS=OFF >/dev/null
if [ ${#targets[@]} -gt 0 ]; then
    cmake --build "$build" -j "$jobs" --target "${targets[@]}"
else
    cmake --build "$build" -j "$jobs"
fi
export QT_QPA_PLATFORM=offscreen
# Sanitized code runs several times slower: the suite's timeouts are stretched to match.
ctest --test-dir "$build" --output-on-failure --timeout 3600 -j 1 "${ctest_args[@]}"
