#!/bin/bash
# Peak memory (VmHWM) of the interface paging through a whole attempt log:
# a step printing LINES lines, then Home, End and a search for the last line.
# Debug build; needs tmux. Used for docs/PERFORMANCE.md (issue 14, item 1).
# usage: mem.sh LINES -> prints VmHWM of stepwise after the step and Home/End paging
N=$1; S=mem$N; H=/tmp/memhome$N; rm -rf $H; mkdir -p $H
cat > $H/rb.yaml <<EOR
runbook: 1
id: mem
title: Mem
sections:
  - title: S
    steps:
      - title: Flood
        id: flood
        run: "seq $N | sed 's/^/line /'"
      - title: After
        id: after
        run: echo after
EOR
tmux new -d -s $S -x 100 -y 30 "STEPWISE_HOME=$H /work/wt-ui/target/debug/stepwise run --trust $H/rb.yaml"
sleep 2; tmux send-keys -t $S Enter
until tmux capture-pane -t $S -p | grep -q "✓  Flood"; do sleep 1; done
tmux send-keys -t $S Up; sleep 1; tmux send-keys -t $S Home; sleep 2; tmux send-keys -t $S End; sleep 2
tmux send-keys -t $S /; sleep 0.5; tmux send-keys -t $S "line $((N-1))"; tmux send-keys -t $S Enter
until tmux capture-pane -t $S -p | grep -q ": line $((N-1))"; do sleep 1; done
pid=$(pgrep -n -x stepwise)
grep VmHWM /proc/$pid/status; ls -la $H/sessions/*/output/flood.1.log | awk '{print $5}'
tmux kill-session -t $S
