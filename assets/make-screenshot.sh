#!/usr/bin/env bash
# Regenerates assets/screenshot.png from the real binary: `stepwise demo`
# in a tmux pane, driven with keys to the middle of the rollback (the
# health check's live output in the log pane, the next human step's prompt
# open with a note being typed), captured with colours (tmux capture-pane
# -e), turned into HTML (assets/ansi2html.py) and photographed by headless
# Chromium. Needs tmux, python3 and chromium (apt-get install -y chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
COLS=140 ROWS=40
cargo build --quiet
BIN="$PWD/target/debug/stepwise"
WORK=$(mktemp -d)
SESSION="stepwise-shot-$$"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT

tmux new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" \
  "STEPWISE_HOME=$WORK/home TZ=UTC $BIN demo; sleep 60"
screen() { tmux capture-pane -p -t "$SESSION"; }
until screen | grep -q "Deployment rollback"; do sleep 0.2; done
tmux send-keys -t "$SESSION" a   # auto mode: automated steps back to back

# Walk the runbook; stop at the first human step that needs a note after
# the deploy (its prompt open, the monitor's output in the log pane).
deployed=0
for _ in $(seq 400); do
  s=$(screen)
  if grep -q "What now?" <<<"$s"; then echo "a step failed:"; echo "$s"; exit 1; fi
  if grep -q "Ctrl-D send" <<<"$s"; then
    tmux send-keys -t "$SESSION" C-d   # an update step's draft: send it as drafted
  elif grep -q "Run this command?" <<<"$s"; then
    tmux send-keys -t "$SESSION" y; deployed=1
  elif grep -q "Ctrl-D done" <<<"$s"; then
    if [ "$deployed" = 1 ] && grep -q "Note (required)" <<<"$s"; then break; fi
    if grep -q "Note (required)" <<<"$s"; then tmux send-keys -t "$SESSION" -l "demo"; fi
    tmux send-keys -t "$SESSION" C-d
  else
    tmux send-keys -t "$SESSION" Enter
  fi
  sleep 0.6
done
tmux send-keys -t "$SESSION" -l "Rolled back to v1.4.2: /health is 200 again."
sleep 1.5
tmux capture-pane -e -p -t "$SESSION" > "$WORK/screen.ansi"
python3 assets/ansi2html.py < "$WORK/screen.ansi" > "$WORK/screen.html"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run \
  --user-data-dir="$WORK/chrome" --hide-scrollbars \
  --screenshot="$PWD/assets/screenshot.png" --window-size=1300,750 \
  "file://$WORK/screen.html" 2>/dev/null
echo "wrote assets/screenshot.png ($(du -k assets/screenshot.png | cut -f1) KB)"
