#!/bin/sh
# Renders the HTML transcript of the fixture session in tests/transcript.rs
# and screenshots it with headless Chromium (Debian: apt-get install chromium).
# Usage: assets/make-transcript-screenshot.sh [HEIGHT]   (from the repository root)
set -eu
cd "$(dirname "$0")/.."
height="${1:-2300}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
html="$work/transcript.html"
STEPWISE_TRANSCRIPT_HTML="$html" cargo test --quiet --test transcript write_example_html -- --ignored >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
  --user-data-dir="$work/profile" --screenshot="$PWD/assets/transcript.png" \
  --window-size="1200,$height" "file://$html" 2>/dev/null
echo "wrote assets/transcript.png ($(wc -c < assets/transcript.png) bytes)"
