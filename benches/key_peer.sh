#!/bin/bash
# The platform's own key latency for benchmark 4: the least a program can
# do to answer a key (bash reading one byte, printing one line) beside a
# flood as heavy as benchmark 4's (`yes` into a file through `cat`, 6 s).
# It answers `j` and `k` with the texts bench.py watches for, then says
# "Session completed" and waits for Enter, as stepwise's last screen does.
# Usage: key_peer.sh LOG_FILE
set -u
stty raw -echo
(timeout 6 yes 0123456789 | cat >"$1") &
flood=$!
printf 'details-of-flood'
while kill -0 "$flood" 2>/dev/null; do
  IFS= read -rsn1 -t 0.2 key || continue
  case $key in
    j) printf '\r\033[Kdetails-of-after' ;;
    k) printf '\r\033[Kdetails-of-flood' ;;
  esac
done
wait
printf '\r\nSession completed'
IFS= read -rsn1 key
stty sane
