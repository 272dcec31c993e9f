#!/usr/bin/env bash
# Compiles the screen translations kiosk/ui/i18n/*.ts → .qm (gitignored) with Qt's lrelease,
# or those of the i18n folder given (scripts/install-kiosk.sh: the installed package's, as
# pip copies no .qm from a checkout that has none). Run by scripts/bootstrap.sh and by the
# UI tests; safe to run again.
# To add new screen strings to the .ts files after changing kiosk/ui, run:
#   .venv/bin/pyside6-lupdate kiosk/ui/*.py -ts kiosk/ui/i18n/kiosk_vi.ts
set -euo pipefail
cd "$(dirname "$0")/.."
LRELEASE="${LRELEASE:-}"
if [ -z "$LRELEASE" ]; then
  if [ -x .venv/bin/pyside6-lrelease ]; then LRELEASE=.venv/bin/pyside6-lrelease
  else LRELEASE="$(command -v pyside6-lrelease || command -v lrelease || true)"; fi
fi
if [ -z "$LRELEASE" ]; then
  echo "build_translations: pyside6-lrelease not found (install the ui extra)" >&2; exit 1
fi
I18N="${1:-kiosk/ui/i18n}"
for ts in "$I18N"/*.ts; do
  "$LRELEASE" -silent "$ts" -qm "${ts%.ts}.qm"
done
