#!/usr/bin/env bash
# CI: install headless Chromium for tests/test_report.py's browser test (Debian/Ubuntu).
# Called by .ci/run; without Chromium that test skips with a reason, everything else still runs.
set -euo pipefail
for b in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$b" >/dev/null 2>&1 && "$b" --version >/dev/null 2>&1; then echo "ci: $b already installed: $("$b" --version 2>/dev/null | head -1)"; exit 0; fi
done
if ! command -v apt-get >/dev/null 2>&1; then echo "ci: no apt-get; install Chromium by hand" >&2; exit 1; fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "ci: not root and no password-less sudo; cannot install Chromium" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian's package is `chromium`; Ubuntu's `chromium-browser` is a snap shim that does not work in CI.
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version 2>/dev/null | head -1
