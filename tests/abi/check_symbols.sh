#!/usr/bin/env bash
# The shared library exports exactly the committed list of fv_* symbols, and
# the public header declares exactly those functions: a symbol added, removed
# or renamed on either side, or a non-fv_ symbol leaking out of the statically
# linked C++ core, fails here with the difference.
#   check_symbols.sh LIBRARY SYMBOL_LIST HEADER
set -euo pipefail
lib=$1 list=$2 header=$3
command -v nm > /dev/null || { echo "check_symbols: nm (binutils) is required" >&2; exit 2; }
committed=$(grep -v '^#' "$list" | sed '/^$/d' | LC_ALL=C sort)
# Defined dynamic symbols of any kind (functions, data, weak, unique).
exported=$(nm -D --defined-only "$lib" | awk 'NF >= 3 {print $3}' | sed 's/@.*//' | LC_ALL=C sort -u)
declared=$(grep -E '^FV_API' "$header" | grep -oE '\bfv_[a-z0-9_]+\(' | tr -d '(' | LC_ALL=C sort -u)
status=0
if [ "$exported" != "$committed" ]; then
  echo "the library's exported symbols differ from $list (< exported, > committed):"
  diff <(echo "$exported") <(echo "$committed") || true
  status=1
fi
if [ "$declared" != "$committed" ]; then
  echo "the functions declared FV_API in $header differ from $list (< declared, > committed):"
  diff <(echo "$declared") <(echo "$committed") || true
  status=1
fi
[ $status -eq 0 ] && echo "check_symbols: $(echo "$committed" | wc -l) fv_* symbols, as committed"
exit $status
