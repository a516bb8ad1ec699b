#!/bin/bash
# The platform's own key latency for benchmark 4: the least a program can
# do to answer a key (bash reading one byte, printing one line) beside a
# 6 s flood of `yes` into a file through `cat` (two busy processes, where
# stepwise's flood has the step, its monitor and stepwise's threads).
# It answers `j` and `k` with the texts bench.py watches for, then says
# "Session completed" and waits for Enter, as stepwise's last screen does.
# Usage: key_peer.sh LOG_FILE
set -u
log=${1:?usage: key_peer.sh LOG_FILE}
trap 'stty sane' EXIT
stty raw -echo
(timeout 6 yes 0123456789 | cat >"$log") &
flood=$!
printf 'details-of-flood'
while kill -0 "$flood" 2>/dev/null; do
  IFS= read -rsn1 -t 0.2 key || continue
  case $key in
    j) printf '\r\033[Kdetails-of-after' ;;
    k) printf '\r\033[Kdetails-of-flood' ;;
  esac
done
wait "$flood" || exit 1
printf '\r\nSession completed'
# Enter ends it (a key pressed as the flood ended does not); at most 2 min.
for _ in $(seq 120); do
  IFS= read -rsn1 -t 1 key || continue
  [[ $key == $'\r' || -z $key ]] && exit 0
done
exit 1
