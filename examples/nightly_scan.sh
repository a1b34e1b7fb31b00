#!/usr/bin/env bash
# The main job on the bundled sample portfolio: installs what is missing,
# builds the firstvalue CLI and prints the worklist a CSM would act on.
# Extra arguments go to `firstvalue scan` (e.g. --accounts 200 --seed 7 --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/bootstrap.sh
[ -f build/build.ninja ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target firstvalue_cli >/dev/null
exec build/firstvalue scan --sample "$@"
