#!/usr/bin/env bash
# Make this machine a checkpoint kiosk that boots straight into the kiosk screen.
# Biến máy này thành trạm quét, khởi động thẳng vào màn hình trạm.
#
#   sudo scripts/install-kiosk.sh                 # cage (Wayland) if installed, else Xorg
#   sudo scripts/install-kiosk.sh --display x11   # Xorg without a window manager (xinit)
#   sudo scripts/install-kiosk.sh --no-enable     # install, but do not start at boot yet
#
# Safe to run again (an upgrade is: git pull, then this script): it
#   - installs the software from this checkout into /opt/checkpoint-kiosk/.venv (pip);
#   - creates the `kiosk` system user and group (scanner access through the udev rule;
#     serial ports of any make through dialout: a USB-serial adapter's /dev/ttyUSB0; never
#     group input, which reads every keyboard: an earlier release's kiosk is taken out);
#   - installs scripts/udev/70-checkpoint-kiosk.rules;
#   - writes /etc/checkpoint-kiosk/config.toml from the sample ONLY if there is none yet
#     (store in /var/lib/checkpoint-kiosk/, full screen on); an existing config is kept;
#   - makes /var/lib/checkpoint-kiosk (0700, owned by kiosk) for the database and backlog;
#   - installs /usr/local/bin/kiosk: `kiosk doctor`, `kiosk enrol`, `kiosk sync push`… from
#     any shell run as the kiosk account with /etc/checkpoint-kiosk/config.toml (the store
#     the service writes, not a checkout's sample);
#   - installs checkpoint-kiosk.service and enables it, whatever the display: on Xorg with
#     checkpoint-kiosk.service.d/x11.conf beside it (xinit), removed again for cage. An
#     earlier release's checkpoint-kiosk-x11.service is stopped, disabled and removed (a
#     kiosk it was running starts again as checkpoint-kiosk.service).
# The store migrates itself forward on the next start, after copying itself to
# kiosk.db.vN.bak (docs/technician.md, "Upgrading").
#
# DESTDIR=/some/dir puts every file under that folder instead of / and skips what changes
# the running system (users, pip, udevadm, systemctl): for packaging and for the tests.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DESTDIR="${DESTDIR:-}"
PREFIX=/opt/checkpoint-kiosk
CONF_DIR=/etc/checkpoint-kiosk
DATA_DIR=/var/lib/checkpoint-kiosk
UNIT_DIR=/etc/systemd/system
RULES_DIR=/etc/udev/rules.d
BIN_DIR=/usr/local/bin
DISPLAY_KIND=""
ENABLE=1

while (($#)); do
  case "$1" in
    --display) DISPLAY_KIND="${2:?--display needs cage or x11}"; shift 2 ;;
    --no-enable) ENABLE=0; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "install-kiosk: unknown option $1 (see --help) / tuỳ chọn lạ $1 (xem --help)" >&2; exit 2 ;;
  esac
done
XWAYLAND="${XWAYLAND:-/usr/bin/Xwayland}"
# One unit whatever the display, so that every `systemctl … checkpoint-kiosk` of the docs acts
# on the running kiosk; Xorg is its drop-in. OLD_UNIT: Xorg's own unit in earlier releases.
UNIT=checkpoint-kiosk.service
XORG="$UNIT.d/x11.conf"
OLD_UNIT=checkpoint-kiosk-x11.service
# Debian 12's cage (0.1.4) refuses to start without Xwayland, and its package does not pull
# it in: a kiosk unit would fail at every boot. Chosen by default, cage needs both. A kiosk
# installed on Xorg stays on it when run again without --display (an upgrade): its Xorg may
# have been chosen because cage could not drive its screen.
if [ -z "$DISPLAY_KIND" ]; then
  if [ -e "$DESTDIR$UNIT_DIR/$XORG" ] ||
     [ -L "$DESTDIR$UNIT_DIR/graphical.target.wants/$OLD_UNIT" ]; then  # enabled
    echo "install-kiosk: installed on Xorg: kept (--display cage to change) / trạm đang" \
      "chạy Xorg: giữ nguyên (--display cage để đổi)" >&2
    DISPLAY_KIND=x11
  elif command -v cage >/dev/null && [ -x "$XWAYLAND" ]; then DISPLAY_KIND=cage
  else
    command -v cage >/dev/null && echo "install-kiosk: cage is installed but $XWAYLAND is not" \
      "(apt install xwayland): using Xorg / cage có nhưng thiếu Xwayland: dùng Xorg" >&2
    DISPLAY_KIND=x11
  fi
elif [ "$DISPLAY_KIND" = cage ] && [ ! -x "$XWAYLAND" ]; then
  echo "install-kiosk: cage needs $XWAYLAND: apt install xwayland / cage cần Xwayland:" \
    "cài gói xwayland" >&2
  exit 1
fi
case "$DISPLAY_KIND" in
  cage|x11) ;;
  *) echo "install-kiosk: --display must be cage or x11, not $DISPLAY_KIND / --display phải là cage hoặc x11" >&2; exit 2 ;;
esac
live() { [ -z "$DESTDIR" ]; }
if live && [ "$(id -u)" -ne 0 ]; then
  echo "install-kiosk: run as root (sudo $0) / chạy bằng quyền root (sudo $0)" >&2; exit 1
fi

say() { echo "install-kiosk: $*"; }

# -- the software ------------------------------------------------------------------------
if live; then
  # a venv left without pip (a first run on a Debian without python3-venv) is made again
  [ -x "$PREFIX/.venv/bin/pip" ] || python3 -m venv --clear "$PREFIX/.venv" || {
    echo "install-kiosk: python3 -m venv failed: apt install python3-venv, then run this" \
      "again / không tạo được môi trường Python: apt install python3-venv rồi chạy lại" >&2
    exit 1; }
  "$PREFIX/.venv/bin/pip" install --quiet --upgrade "$SRC[all]"
  # the screens' Vietnamese (.qm, compiled from the .ts: not in git, so pip copied none)
  # into the installed package; without it every screen is in English
  i18n="$("$PREFIX/.venv/bin/python" -c 'import importlib.util as u
print(u.find_spec("kiosk.ui").submodule_search_locations[0])')/i18n"
  LRELEASE="$PREFIX/.venv/bin/pyside6-lrelease" "$SRC/scripts/build_translations.sh" \
    "$i18n" || {
    echo "install-kiosk: the screens' Vietnamese could not be compiled into $i18n / không" \
      "biên dịch được tiếng Việt của màn hình vào $i18n" >&2
    exit 1; }
  say "software installed in $PREFIX/.venv / đã cài phần mềm vào $PREFIX/.venv"
fi

# -- the kiosk user --------------------------------------------------------------------
if live; then
  getent group kiosk >/dev/null || groupadd --system kiosk
  if ! id kiosk >/dev/null 2>&1; then
    useradd --system --gid kiosk --home-dir "$DATA_DIR" --no-create-home \
            --shell /usr/sbin/nologin --comment "Checkpoint kiosk" kiosk
    say "created the kiosk system user / đã tạo tài khoản hệ thống kiosk"
  fi
  # dialout: serial ports the udev rule does not know (an RS-232 scanner's USB-serial
  # adapter, a CCCD reader of another make) are root:dialout 0660. Not input: that group
  # reads every keyboard (the technician's passwords too); the udev rule gives group kiosk
  # the scanners alone, `kiosk devices` prints the line for a make it does not list, and
  # cage or Xorg open the touchscreen and keyboard through the unit's login session.
  for group in video render audio tty dialout; do
    getent group "$group" >/dev/null && usermod -aG "$group" kiosk
  done
  if [[ " $(id -nG kiosk) " == *" input "* ]]; then  # put there by an earlier release
    gpasswd -d kiosk input >/dev/null
    say "took the kiosk account out of group input (it could read every keyboard) /" \
      "đã bỏ tài khoản kiosk khỏi nhóm input (nhóm đọc được mọi bàn phím)"
  fi
fi
owner() { if live; then chown "$@"; fi; }

# -- folders, config, udev rule, units -------------------------------------------------
install -d -m 0700 "$DESTDIR$DATA_DIR"
owner kiosk:kiosk "$DESTDIR$DATA_DIR"
install -d -m 0750 "$DESTDIR$CONF_DIR"
owner kiosk:kiosk "$DESTDIR$CONF_DIR"   # the screens write config.toml (language, devices)
config="$DESTDIR$CONF_DIR/config.toml"
if [ ! -e "$config" ]; then
  sed -e "s#^path = \"data/kiosk.db\"#path = \"$DATA_DIR/kiosk.db\"#" \
      -e "s#^fullscreen = false#fullscreen = true #" \
      -e '/^id = "demo"$/a enabled = false                          # the sample scanner: set up real ones' \
      "$SRC/config.toml" > "$config.new"
  chmod 0640 "$config.new"
  mv "$config.new" "$config"
  owner kiosk:kiosk "$config"
  say "wrote $CONF_DIR/config.toml: set the devices and [kiosk] pin (the sample's: 1234)," \
    "then kiosk enrol (id, checkpoint, centre) / đã ghi $CONF_DIR/config.toml: điền các thiết" \
    "bị và [kiosk] pin (của tệp mẫu: 1234), rồi chạy kiosk enrol (mã trạm, điểm, trung tâm)"
else
  say "kept the existing $CONF_DIR/config.toml / giữ nguyên $CONF_DIR/config.toml đã có"
fi
# The technician's `kiosk`: the service's account and config whoever runs it. Only that
# account may open the store (0700), so a shell of another account goes through runuser
# (root) or sudo; $KIOSK_CONFIG still chooses another config.
install -d -m 0755 "$DESTDIR$BIN_DIR"
cat > "$DESTDIR$BIN_DIR/kiosk.new" <<EOF
#!/bin/sh
# The installed kiosk's command (scripts/install-kiosk.sh): as the account the kiosk runs
# as, with its config. Lệnh kiosk của trạm đã cài: chạy dưới tài khoản và cấu hình của trạm.
ACCOUNT=kiosk
KIOSK=$PREFIX/.venv/bin/kiosk
CONFIG=$CONF_DIR/config.toml
EOF
cat >> "$DESTDIR$BIN_DIR/kiosk.new" <<'EOF'
KIOSK_CONFIG="${KIOSK_CONFIG:-$CONFIG}"
if [ "$(id -un)" = "$ACCOUNT" ]; then
  export KIOSK_CONFIG
  exec "$KIOSK" "$@"
elif [ "$(id -u)" -eq 0 ]; then
  exec runuser -u "$ACCOUNT" -- env KIOSK_CONFIG="$KIOSK_CONFIG" "$KIOSK" "$@"
fi
exec sudo -u "$ACCOUNT" -- env KIOSK_CONFIG="$KIOSK_CONFIG" "$KIOSK" "$@"
EOF
chmod 0755 "$DESTDIR$BIN_DIR/kiosk.new"
mv "$DESTDIR$BIN_DIR/kiosk.new" "$DESTDIR$BIN_DIR/kiosk"
install -d -m 0755 "$DESTDIR$RULES_DIR" "$DESTDIR$UNIT_DIR"
install -m 0644 "$SRC/scripts/udev/70-checkpoint-kiosk.rules" "$DESTDIR$RULES_DIR/"
systemd_runs() { live && [ -d /run/systemd/system ]; }
# An earlier release's Xorg kiosk: stopped (the kiosk closes as at a shutdown, nothing lost),
# disabled and removed, else both units would hold tty7 and neither be what the docs name.
was_running=0
if [ -e "$DESTDIR$UNIT_DIR/$OLD_UNIT" ]; then
  if systemd_runs; then
    systemctl is-active --quiet "$OLD_UNIT" && was_running=1
    systemctl is-enabled --quiet "$OLD_UNIT" && ENABLE=1  # a kiosk started at boot stays so
    systemctl disable --quiet --now "$OLD_UNIT"
  fi
  rm -f "$DESTDIR$UNIT_DIR/$OLD_UNIT" "$DESTDIR$UNIT_DIR"/*.wants/"$OLD_UNIT"
  say "removed $OLD_UNIT: the kiosk is $UNIT on either display / đã gỡ $OLD_UNIT: trạm" \
    "là $UNIT với cả hai kiểu màn hình"
fi
install -m 0644 "$SRC/scripts/systemd/$UNIT" "$DESTDIR$UNIT_DIR/"
if [ "$DISPLAY_KIND" = x11 ]; then
  install -d -m 0755 "$DESTDIR$UNIT_DIR/$UNIT.d"
  install -m 0644 "$SRC/scripts/systemd/$XORG" "$DESTDIR$UNIT_DIR/$XORG"
elif [ -e "$DESTDIR$UNIT_DIR/$XORG" ]; then
  rm -f "$DESTDIR$UNIT_DIR/$XORG"
  rmdir --ignore-fail-on-non-empty "$DESTDIR$UNIT_DIR/$UNIT.d"  # a technician's override stays
  say "removed $UNIT_DIR/$XORG: the kiosk runs under cage from its next start / đã gỡ" \
    "$UNIT_DIR/$XORG: trạm chạy bằng cage từ lần khởi động tới"
fi

if live; then
  udevadm control --reload-rules && udevadm trigger || say "udev not running: rule applies at next boot / udev không chạy: quy tắc áp dụng từ lần khởi động sau"
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    if ((was_running)); then
      systemctl start "$UNIT"
      say "started $UNIT in place of $OLD_UNIT / đã chạy $UNIT thay cho $OLD_UNIT"
    fi
    if ((ENABLE)); then
      systemctl enable --quiet "$UNIT"
      systemctl set-default graphical.target >/dev/null
      say "enabled $UNIT: the kiosk starts at boot (now: systemctl start $UNIT) / đã bật" \
        "$UNIT: trạm chạy khi khởi động máy (chạy ngay: systemctl start $UNIT)"
    fi
  else
    say "systemd is not running here: enable $UNIT on the kiosk itself / systemd không" \
      "chạy ở đây: bật $UNIT trên chính máy trạm"
  fi
fi
say "done ($DISPLAY_KIND). Logs: journalctl -u $UNIT / xong ($DISPLAY_KIND). Nhật ký:" \
  "journalctl -u $UNIT"
