#!/usr/bin/env bash
# A browser test of nst serve's page (ctest: ServePage.*): paints the demo pictures into a fresh
# folder and has headless Chromium use the page with SCRIPT (page_test.mjs, regions_test.mjs),
# which starts the server itself. Needs node, Debian's chromium, and playwright-core and
# axe-core in tests/browser/node_modules (scripts/install-browser-test-deps).
#   run_page_test.sh SCRIPT NST_BINARY DEMO_IMAGES_BINARY [SCREENSHOT_PREFIX]
set -euo pipefail
script=$1 nst=$2 demo_images=$3 screenshots=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$demo_images" "$work" > /dev/null
node "$here/$script" "$nst" "$work/data" "$work/content.png" "$work/style.png" $screenshots
