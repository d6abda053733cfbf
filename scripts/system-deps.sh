#!/usr/bin/env bash
# The Debian/Ubuntu packages pakta needs: WeasyPrint's libraries (HarfBuzz subsetting
# makes font subsetting ~4x faster), poppler and qpdf (independent checks), SoftHSM 2 and
# OpenSC (a real PKCS#11 token), NSS tools (pdfsig's trust store), Chromium (the HTML
# reports and pakta serve are tested in a real browser) and zbar-tools (an independent
# decoder for the QR code on every document).
set -euo pipefail
PACKAGES=(libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils qpdf
          softhsm2 opensc libnss3-tools chromium zbar-tools)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "pakta needs these system packages; install them as root with:" >&2
  echo "  sudo apt-get install ${missing[*]}" >&2
  exit 5
fi
