#!/usr/bin/env bash
# ctest's way into the bench (bench_smoke, tests/integration/CMakeLists.txt):
# tests/bench/run --smoke on ctest's own build, results overwritten in
# $TCSTEER_BUILD/bench/results/smoke. It proves that every peer attaches and
# that every measurement runs (about 15 s); the figures mean nothing and no
# goal is checked. The full bench is never part of ctest.
set -euo pipefail
: "${TCSTEER_BUILD:?TCSTEER_BUILD must point at the build tree (ctest sets it)}"
exec "$(dirname "$0")/run" --smoke --results "$TCSTEER_BUILD/bench/results/smoke"
