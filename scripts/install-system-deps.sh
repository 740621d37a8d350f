#!/usr/bin/env bash
# Debian packages Interdict needs. `--runtime`: what the demo needs (Pango and fonts for WeasyPrint,
# which renders the PDF reports). Default: that plus what the test suite needs (Chromium for the
# browser tests, poppler-utils for PDF text checks). Installs only what is missing; without root or
# sudo it says what to install.
set -euo pipefail
needed=()
libraries="$(ldconfig -p 2>/dev/null || true)"  # read once: grep -q on a pipe would SIGPIPE ldconfig under pipefail
[[ "$libraries" == *libpango-1.0.so* ]] || needed+=(libpango-1.0-0)
[[ "$libraries" == *libpangoft2-1.0.so* ]] || needed+=(libpangoft2-1.0-0)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || needed+=(fonts-dejavu-core)
if [ "${1:-}" != "--runtime" ]; then
  command -v chromium >/dev/null 2>&1 || needed+=(chromium)
  command -v pdftotext >/dev/null 2>&1 || needed+=(poppler-utils)
fi
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "install-system-deps: please install ${needed[*]} (Debian packages); what needs them will fail or be skipped" >&2
  exit 0
fi
echo "install-system-deps: installing ${needed[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
