#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz and runs
# each from its seed corpus.
#   bash tests/fuzz/run.sh                  # the short run of the test command: 5 s per target, as ctest
#   bash tests/fuzz/run.sh --runs 10000000  # the long run: 10M executions per target, one after the other
#   bash tests/fuzz/run.sh --seconds 600    # or a time per target
# New inputs go to build-fuzz/tests/fuzz/corpus/<target>; a crash, leak or
# sanitizer report stops the run with the input saved as build-fuzz/tests/fuzz/crash-*.
set -euo pipefail
cd "$(dirname "$0")/../.."
CC=${FUZZ_CC:-clang-14} CXX=${FUZZ_CXX:-clang++-14} cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFV_FUZZ=ON -DFV_BUILD_C_API=OFF -DFV_BUILD_TESTS=OFF -DFV_BUILD_BENCHMARKS=OFF -DFV_BUILD_CLI=OFF \
  -DFV_BUILD_PYTHON=OFF >/dev/null
cmake --build build-fuzz
if [ $# -eq 0 ]; then
  exec ctest --test-dir build-fuzz --output-on-failure --no-tests=error -j "$(nproc)"
fi
case "$1" in
  --runs) limit=(-runs="$2") ;;
  --seconds) limit=(-max_total_time="$2") ;;
  *) echo "usage: $0 [--runs N | --seconds S]" >&2; exit 2 ;;
esac
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
dir=build-fuzz/tests/fuzz
for target in $(sed -n 's/^set(FV_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt); do
  mkdir -p "$dir/corpus/$target"
  echo "== $target"
  (cd "$dir" && "./$target" "${limit[@]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
     "corpus/$target" "$PWD/../../../tests/fuzz/corpus/$target" 2>&1 | grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|ERROR|SUMMARY')
done
