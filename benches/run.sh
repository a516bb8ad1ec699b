#!/usr/bin/env bash
# The stepwise benchmark suite (issue 7): builds the release binary and runs
# every benchmark, or the ones named (1 2 peer 3 4 5 6 7 8 9 10 11 12 13 14).
#
#   benches/run.sh                 # all, 5 runs each
#   benches/run.sh --runs 9 1 2    # only 1 and 2, 9 runs each
#   SKIP_BUILD=1 benches/run.sh    # use the existing target/release/stepwise
#
# Prints medians, ratios against baselines measured in the same run, the
# load average, PASS/FAIL; exits 1 when a target is missed. Needs python3
# and GNU time (installed with apt-get when missing); tmux for the "plain
# terminal" peer (skipped without it). Touches only temporary folders.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x /usr/bin/time ]]; then
    echo "benches: /usr/bin/time (GNU time) is missing; installing it with apt-get" >&2
    if [[ $(id -u) -eq 0 ]]; then
        apt-get install -y time >/dev/null
    else
        sudo apt-get install -y time >/dev/null
    fi
fi
command -v python3 >/dev/null || { echo "benches: python3 is needed" >&2; exit 2; }

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release --quiet
fi
exec python3 benches/bench.py "$@"
