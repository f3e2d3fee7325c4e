#!/usr/bin/env bash
# The browser test of nst serve's page (ctest: ServePage.PaintsThroughTheBrowser): starts a
# server on a free loopback port with an untrained network, paints the demo pictures, and has
# headless Chromium use the page (page_test.mjs). Needs node, Debian's chromium and
# playwright-core in tests/browser/node_modules (scripts/install-browser-test-deps).
#   run_page_test.sh NST_BINARY DEMO_IMAGES_BINARY [SCREENSHOT_PREFIX]
set -euo pipefail
nst=$1 demo_images=$2 screenshots=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT

"$demo_images" "$work" > /dev/null
"$nst" serve --port 0 --data "$work/data" --weights random 2> "$work/log" &
server=$!
for _ in $(seq 100); do
  grep -q "listening on" "$work/log" && break
  sleep 0.1
done
url=$(grep -o "http://127.0.0.1:[0-9]*/" "$work/log") || { cat "$work/log"; exit 1; }
node "$here/page_test.mjs" "$url" "$work/content.png" "$work/style.png" $screenshots
