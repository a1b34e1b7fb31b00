#!/usr/bin/env bash
# Runs every test: C++ (GoogleTest via ctest), the C ABI program and header
# tests, the same C++/C suites under AddressSanitizer + UBSan, a short run of
# every fuzz target (tests/fuzz), the installed
# package consumed by CMake and pkg-config, and pytest (Python API + ctypes).
# Fails if any suite fails or runs no test.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}

bash .ci/bootstrap.sh

section() { printf '\n==== %s ====\n' "$*"; }

section "C++ and C: release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFV_BUILD_TESTS=ON -DFV_BUILD_BENCHMARKS=ON \
  -DFV_BUILD_CLI=ON -DFV_SANITIZE=OFF >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure --no-tests=error -j "$(nproc)"

section "C++ and C: AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFV_SANITIZE=ON -DFV_BUILD_TESTS=ON \
  -DFV_BUILD_BENCHMARKS=OFF -DFV_BUILD_CLI=ON >/dev/null
cmake --build build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure --no-tests=error -j "$(nproc)"

section "fuzz: every parser and buffer entry point, 5 s each (clang, libFuzzer, ASan + UBSan)"
bash tests/fuzz/run.sh

section "installed package: find_package(firstvalue) and pkg-config"
rm -rf build/_install build/examples
cmake --install build --prefix build/_install >/dev/null
cmake -S examples -B build/examples -G Ninja -DCMAKE_PREFIX_PATH="$ROOT/build/_install" >/dev/null
cmake --build build/examples
LD_LIBRARY_PATH="$ROOT/build/_install/lib" build/examples/score_c
build/examples/score_cpp
PKG_CONFIG_PATH="$ROOT/build/_install/lib/pkgconfig" \
  cc -std=c99 -Wall -Wextra -pedantic -Werror examples/c/score.c -o build/examples/score_c_pkgconfig \
  $(PKG_CONFIG_PATH="$ROOT/build/_install/lib/pkgconfig" pkg-config --cflags --libs firstvalue) -lm
LD_LIBRARY_PATH="$ROOT/build/_install/lib" build/examples/score_c_pkgconfig >/dev/null
echo "consumers built and ran against the installed package"

section "Python: pip install . and pytest"
"$PYTHON" -m pip install --disable-pip-version-check --root-user-action=ignore --no-build-isolation -q \
  -Cbuild-dir=build/python .
"$PYTHON" examples/python/score_dataframe.py >/dev/null
FV_BUILD_DIR="$ROOT/build" FV_REQUIRE_BUILD=1 "$PYTHON" -m pytest tests/python -q -p no:cacheprovider
