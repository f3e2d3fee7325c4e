#!/usr/bin/env bash
# The browser test of nst serve's page (ctest: ServePage.PaintsThroughTheBrowser): paints the
# demo pictures into a fresh folder and has headless Chromium use the page (page_test.mjs),
# which starts the server itself (it kills and restarts it mid-job). Needs node, Debian's
# chromium, and playwright-core and axe-core in tests/browser/node_modules
# (scripts/install-browser-test-deps).
#   run_page_test.sh NST_BINARY DEMO_IMAGES_BINARY [SCREENSHOT_PREFIX]
set -euo pipefail
nst=$1 demo_images=$2 screenshots=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$demo_images" "$work" > /dev/null
node "$here/page_test.mjs" "$nst" "$work/data" "$work/content.png" "$work/style.png" $screenshots
