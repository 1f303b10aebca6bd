#!/usr/bin/env bash
# Installs the Debian packages some tests (and PDFs' rare characters) need, only those missing, only as root on Debian.
#   scripts/sysdeps.sh        everything the tests need (make test)
#   scripts/sysdeps.sh run    only what serving needs: the PDF fallback font (make run)
set -euo pipefail
need=()
if [ "${1:-}" != run ]; then
# The browser tests launch exactly /usr/bin/chromium (Debian's), not any chromium on PATH.
[ -x /usr/bin/chromium ] || need+=(chromium)
# dovecot lives in /usr/sbin, which a non-root PATH often leaves out.
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
command -v pdffonts >/dev/null 2>&1 || need+=(poppler-utils)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
fi
# PDFs' fallback font for CJK Extension B and the rarer ideographs (no npm package has them).
[ -f /usr/share/fonts/truetype/hanazono/HanaMinB.ttf ] || need+=(fonts-hanazono)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "sysdeps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "sysdeps: missing ${need[*]}; install them (Debian: apt-get install ${need[*]})." >&2
  echo "sysdeps: tests that need them will skip (and fail under CI=true); without" >&2
  echo "sysdeps: fonts-hanazono, rare ideographs print as empty boxes in PDFs." >&2
fi
