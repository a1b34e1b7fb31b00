#!/usr/bin/env bash
# Installs everything firstvalue needs on a fresh Debian 12 machine, and
# nothing when it is all there already (safe to run before every command).
set -euo pipefail

DEBIAN_PACKAGES=(
  build-essential cmake ninja-build pkg-config binutils
  libeigen3-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev
  libssl-dev  # snapshots: checksums and AES-256-GCM through OpenSSL's EVP
  clang-14 libclang-rt-14-dev  # libFuzzer and its sanitizers, for tests/fuzz
)
PYTHON_PACKAGES=(
  "scikit-build-core>=0.10" "pybind11>=3" "numpy>=1.23" "pandas>=2" "pytest>=7"
  "duckdb>=1.0"  # the peer of benchmarks/scan_vs_duckdb.py
  "lifelines>=0.27" "matplotlib>=3.6"  # the Kaplan–Meier peer, and the optional plots
)

PYTHON=${PYTHON:-python3}
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

missing_debs=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing_debs+=("$pkg")
done
if [ ${#missing_debs[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing_debs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing_debs[@]}"
fi

# Each requirement is checked against what is installed, so a satisfied
# machine makes no request to the package index.
missing_py=$("$PYTHON" - "${PYTHON_PACKAGES[@]}" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
missing = []
for spec in sys.argv[1:]:
    req = Requirement(spec)
    try:
        if not req.specifier.contains(version(req.name), prereleases=True):
            missing.append(spec)
    except PackageNotFoundError:
        missing.append(spec)
print(" ".join(missing))
PY
)
if [ -n "$missing_py" ]; then
  echo "bootstrap: installing Python packages: $missing_py"
  # shellcheck disable=SC2086
  "$PYTHON" -m pip install --disable-pip-version-check --root-user-action=ignore -q $missing_py
fi
