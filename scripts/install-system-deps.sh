#!/usr/bin/env bash
# Installs the Debian packages the tests need, and only those that are missing, so that
# `make test` works on a fresh machine and costs nothing on one that is already set up:
#   chromium                /usr/bin/chromium, which Playwright drives (its own download is blocked)
#   fonts-wqy-microhei      CJK glyphs, so screenshots and PDFs show 滁州 rather than empty boxes
#   libreoffice-calc-nogui  a second spreadsheet program that must open our Excel exports
#   poppler-utils           pdftotext, to read back what LibreOffice rendered
#   nginx                   in front of gunicorn in `make serve`: buffers slow clients, serves assets
#   postgresql              the shared store; the tests start clusters of their own (no service)
set -euo pipefail

packages=(chromium fonts-wqy-microhei libreoffice-calc-nogui poppler-utils nginx postgresql)

missing=()
for package in "${packages[@]}"; do
    # `dpkg -s` also succeeds for a removed package whose configuration remains: read its Status
    # (no `grep -q`: exiting early could SIGPIPE dpkg, and pipefail would call that missing).
    if ! dpkg -s "$package" 2>/dev/null | grep -x 'Status: install ok installed' >/dev/null; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "The tests need these Debian packages: ${missing[*]}." >&2
    echo "Install them as root: apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "Installing Debian packages: ${missing[*]}" >&2
# nginx and postgresql would start system services on install (nginx on port 80); the project
# runs its own instances, so services stay stopped: policy-rc.d answering 101 forbids starting
# them, for the length of this install only.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod +x "$policy"
    trap '"${as_root[@]}" rm -f "$policy"' EXIT
fi
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq "${missing[@]}"
