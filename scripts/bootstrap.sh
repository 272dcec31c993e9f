#!/usr/bin/env bash
# Installs what the kiosk needs on a fresh Debian/Ubuntu machine, only what is missing:
# system packages through apt (sudo when not root), a .venv, and the package with all extras.
# Used by `make run` and `make test`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Runtime libraries: zbar for pyzbar, Qt's X11/EGL/font/sound libraries for PySide6 (and a
# font with every Vietnamese letter: DejaVu Sans),
# PostgreSQL for the central server's tests, Chromium and its WebDriver for the dashboard's
# browser tests and screenshots, venv for Debian's own Python.
APT_PACKAGES=(
  python3-venv libzbar0 postgresql
  libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
  libxcb-randr0 libxcb-render-util0 libxcb-image0 libpulse0 libasound2
  fonts-dejavu-core chromium chromium-driver
  xvfb  # tests/test_ui_fullscreen.py: a real X server with no window manager
  systemd cage xinit  # tests/test_install_kiosk.py: systemd-analyze verify of the units
  xwayland  # Debian 12's cage 0.1.4 will not start without it (tests/test_ui_fullscreen.py)
  faketime  # tests/test_doctor.py: a kiosk whose clock is 10 minutes ahead of the centre
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "bootstrap: Python 3.11 or newer is needed ($("$PYTHON" --version))" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing the kiosk package and its dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$stamp"
fi
if [ -x scripts/build_translations.sh ]; then
  scripts/build_translations.sh
fi
