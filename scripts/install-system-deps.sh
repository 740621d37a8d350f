#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for the browser tests, poppler-utils for PDF
# text checks. Installs only what is missing; without root or sudo it says what to install.
set -euo pipefail
needed=()
command -v chromium >/dev/null 2>&1 || needed+=(chromium)
command -v pdftotext >/dev/null 2>&1 || needed+=(poppler-utils)
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "install-system-deps: please install ${needed[*]} (Debian packages); the tests that need them will be skipped" >&2
  exit 0
fi
echo "install-system-deps: installing ${needed[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
