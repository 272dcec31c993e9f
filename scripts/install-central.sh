#!/usr/bin/env bash
# Make this machine the centre: the collection server and the 06:00 report, as systemd runs
# them. Biến máy này thành máy chủ trung tâm: máy chủ thu nhận và báo cáo 06:00.
#
#   sudo scripts/install-central.sh                        # a new centre
#   sudo scripts/install-central.sh --copy-from data       # bring the centre kept in ./data
#   sudo scripts/install-central.sh --no-enable            # install, but start nothing yet
#
# Safe to run again (an upgrade is: git pull, then this script): it
#   - stops a running server and 06:00 report (and its timer) first, and starts them again
#     on the new software at the end;
#   - installs the software from this checkout, with the server extras, into
#     /opt/checkpoint-kiosk/.venv (pip);
#   - creates the `kiosk-central` system user and group;
#   - makes /var/lib/kiosk-central (0700, owned by kiosk-central): the database
#     central.db, the backlog key central-backlog.key beside it, the reports folder;
#   - with --copy-from DIR: copies DIR/central.db (a consistent copy, even of a running
#     server's) and DIR/central-backlog.key there, together, owned by kiosk-central. It
#     refuses, copying nothing, when either is already there (never replaced: a second run
#     keeps what the centre wrote since), when DIR holds no central.db, or when the
#     database gave kiosks a backlog key whose file DIR lacks (a new key would be made, and
#     no kiosk's backlog file could be opened). Stop the old server first; afterwards move
#     DIR out of the way, so that nothing keeps writing a centre nobody reads;
#   - installs kiosk-central.service and kiosk-central-report.{service,timer} (a unit
#     changed here by hand, `systemctl edit --full`, is kept, and said) and enables them:
#     first `kiosk-central init`, as kiosk-central, on the database the units read
#     (KIOSK_CENTRAL_DB, drop-ins included) makes a new centre or upgrades its schema; the
#     server makes its backlog key, and the report runs every day at 06:00. With
#     --no-enable nothing is made: the server refuses to start until a centre is there
#     (--copy-from, or `runuser -u kiosk-central -- kiosk-central init --db ...`).
# The units read sqlite:////var/lib/kiosk-central/central.db: for PostgreSQL, set
# KIOSK_CENTRAL_DB (and KIOSK_CENTRAL_BACKLOG_KEY) with `systemctl edit`, the role the
# server runs as owning the database, then run this again (docs/central.md, "PostgreSQL").
#
# DESTDIR=/some/dir puts every file under that folder instead of / and skips what changes
# the running system (users, pip, chown, systemctl): for packaging and for the tests.
set -euo pipefail
umask 077

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DESTDIR="${DESTDIR:-}"
PREFIX=/opt/checkpoint-kiosk
DATA_DIR=/var/lib/kiosk-central
UNIT_DIR=/etc/systemd/system
SYSTEMD_RUN=/run/systemd/system  # there while systemd runs the machine
UNITS=(kiosk-central.service kiosk-central-report.service kiosk-central-report.timer)
DB=central.db
KEY=central-backlog.key
COPY_FROM=""
ENABLE=1
RESTART=0

while (($#)); do
  case "$1" in
    --copy-from) COPY_FROM="${2:?--copy-from needs the folder holding central.db}"; shift 2 ;;
    --no-enable) ENABLE=0; shift ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "install-central: tuỳ chọn lạ $1 (xem --help) / unknown option $1 (see --help)" >&2
       exit 2 ;;
  esac
done
live() { [ -z "$DESTDIR" ]; }
if live && [ "$(id -u)" -ne 0 ]; then
  echo "install-central: chạy bằng quyền root (sudo $0) / run as root (sudo $0)" >&2; exit 1
fi
say() { echo "install-central: $*"; }
refuse() { echo "install-central: $*" >&2; exit 1; }
systemd_runs() { live && [ -d "$SYSTEMD_RUN" ]; }
state="$DESTDIR$DATA_DIR"

# -- what --copy-from brings: checked whole before anything is installed or copied -------
if [ -n "$COPY_FROM" ]; then
  [ -f "$COPY_FROM/$DB" ] || refuse "no $DB in $COPY_FROM: nothing copied /" \
    "không có $DB trong $COPY_FROM: chưa chép gì"
  for name in "$DB" "$KEY"; do
    [ -e "$state/$name" ] && refuse "$DATA_DIR/$name is already there: not replaced, nothing" \
      "copied / $DATA_DIR/$name đã có: không ghi đè, chưa chép gì"
  done
  given=$(python3 - "$COPY_FROM/$DB" <<'EOF'
import sqlite3, sys
with sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True) as db:
    row = db.execute("SELECT value FROM settings WHERE key = 'backlog_public_key'").fetchone()
print("yes" if row else "")
EOF
  ) || refuse "$COPY_FROM/$DB cannot be read as a centre database: nothing copied /" \
    "không đọc được $COPY_FROM/$DB: chưa chép gì"
  if [ -n "$given" ] && [ ! -f "$COPY_FROM/$KEY" ]; then
    refuse "$COPY_FROM/$DB gave kiosks a backlog key, but $COPY_FROM/$KEY is not there:" \
      "bring it with the database (nothing copied) / thiếu khoá tồn đọng $KEY đi cùng cơ sở" \
      "dữ liệu: chưa chép gì"
  fi
fi

# -- the software ------------------------------------------------------------------------
# An upgrade stops the server first: left running on the old code, it kept writing while
# the first new command upgraded the database, and the two deadlocked (the upgrade undone,
# again at every command); enabling below starts it again on the new code.
if systemd_runs && systemctl is-active --quiet kiosk-central.service; then
  systemctl stop kiosk-central.service
  say "stopped the running server for the upgrade; it starts again on the new software" \
    "/ đã dừng máy chủ đang chạy để nâng cấp; máy chủ sẽ chạy lại với phần mềm mới"
  RESTART=1
fi
# the 06:00 report too: one running (a catch-up of up to 31 days) kept the old code under
# pip and held the report-making lock the schema upgrade waits for; its timer is stopped
# with it, so that it does not start one meanwhile, and started again at the end
REPORT_TIMER=0
if systemd_runs && systemctl is-active --quiet kiosk-central-report.timer; then
  REPORT_TIMER=1
fi
report=$(! systemd_runs || systemctl is-active kiosk-central-report.service || true)
if systemd_runs && { ((REPORT_TIMER)) || [ "$report" = active ] ||
    [ "$report" = activating ]; }; then  # a oneshot is "activating" while it runs
  systemctl stop kiosk-central-report.timer kiosk-central-report.service
  say "đã dừng báo cáo 06:00 (và bộ hẹn giờ) để nâng cấp / stopped the 06:00 report (and its" \
    "timer) for the upgrade"
fi
if live; then
  # a venv left without pip (a first run on a Debian without python3-venv) is made again
  [ -x "$PREFIX/.venv/bin/pip" ] || python3 -m venv --clear "$PREFIX/.venv" || {
    echo "install-central: python3 -m venv failed: apt install python3-venv, then run this" \
      "again / không tạo được môi trường Python: apt install python3-venv rồi chạy lại" >&2
    exit 1; }
  "$PREFIX/.venv/bin/pip" install --quiet --upgrade "$SRC[server]"
  say "đã cài phần mềm vào $PREFIX/.venv / software installed in $PREFIX/.venv"
fi

# -- the kiosk-central user --------------------------------------------------------------
if live; then
  getent group kiosk-central >/dev/null || groupadd --system kiosk-central
  if ! id kiosk-central >/dev/null 2>&1; then
    useradd --system --gid kiosk-central --home-dir "$DATA_DIR" --no-create-home \
            --shell /usr/sbin/nologin --comment "Checkpoint kiosk centre" kiosk-central
    say "đã tạo tài khoản hệ thống kiosk-central / created the kiosk-central system user"
  fi
fi
owner() { if live; then chown "$@"; fi; }

# -- the state folder, an existing centre copied into it, the units ----------------------
install -d -m 0700 "$state" "$state/reports"
owner kiosk-central:kiosk-central "$state" "$state/reports"
if [ -n "$COPY_FROM" ]; then
  # the backup API copies what a running server has committed, -wal included; into a
  # temporary name first, so a copy cut short is never taken for the centre
  python3 - "$COPY_FROM/$DB" "$state/.$DB.copying" <<'EOF'
import sqlite3, sys
with sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True) as source, \
        sqlite3.connect(sys.argv[2]) as target:
    source.backup(target)
target.close()
EOF
  [ ! -f "$COPY_FROM/$KEY" ] || install -m 0600 "$COPY_FROM/$KEY" "$state/.$KEY.copying"
  for name in "$DB" "$KEY"; do
    [ -f "$state/.$name.copying" ] || continue
    owner kiosk-central:kiosk-central "$state/.$name.copying"
    mv --no-clobber "$state/.$name.copying" "$state/$name"
  done
  copied="$COPY_FROM/$DB$([ ! -f "$state/$KEY" ] || echo " and $KEY")"
  say "đã chép $copied vào $DATA_DIR; dời $COPY_FROM đi chỗ khác khi máy chủ ở đây đã chạy /" \
    "copied $copied into $DATA_DIR; move $COPY_FROM out of the way once the server here is" \
    "running"
fi

# -- the units: a unit changed here by hand is kept ---------------------------------------
# `systemctl edit --full` writes the unit's file itself: replaced, a PostgreSQL centre's
# server started again on a new, empty SQLite centre. A unit the same as one this checkout
# ever shipped (git history) is this software's; any other is kept, and said.
shipped() {  # whether $1 (an installed unit) is a version of scripts/systemd/$2 ever shipped
  local rev
  cmp -s "$1" "$SRC/scripts/systemd/$2" && return 0
  for rev in $(git -c safe.directory="$SRC" -C "$SRC" rev-list HEAD -- \
                 "scripts/systemd/$2" 2>/dev/null); do
    git -c safe.directory="$SRC" -C "$SRC" show "$rev:scripts/systemd/$2" 2>/dev/null |
      cmp -s - "$1" && return 0
  done
  return 1
}
install -d -m 0755 "$DESTDIR$UNIT_DIR"
for unit in "${UNITS[@]}"; do
  installed="$DESTDIR$UNIT_DIR/$unit"
  if [ -e "$installed" ] && ! shipped "$installed" "$unit"; then
    say "giữ nguyên $UNIT_DIR/$unit: đã được sửa tay ở đây (systemctl edit --full); bản mới ở" \
      "$SRC/scripts/systemd/$unit — gộp phần khác, hoặc xoá bản của bạn rồi chạy lại /" \
      "kept $UNIT_DIR/$unit: changed here by hand (systemctl edit --full); this version's is" \
      "$SRC/scripts/systemd/$unit — merge what changed, or remove yours and run this again"
    continue
  fi
  install -m 0644 "$SRC/scripts/systemd/$unit" "$DESTDIR$UNIT_DIR/"
done

# -- the database the units read ---------------------------------------------------------
unit_db() {  # the KIOSK_CENTRAL_DB unit $1 reads, drop-ins included; the shipped one if none
  local setting url="sqlite:///$DATA_DIR/$DB"
  for setting in $(systemctl show -p Environment --value "$1"); do
    case "$setting" in KIOSK_CENTRAL_DB=*) url="${setting#KIOSK_CENTRAL_DB=}" ;; esac
  done
  echo "$url"
}
DB_URL="sqlite:///$DATA_DIR/$DB"
if systemd_runs; then
  systemctl daemon-reload
  DB_URL=$(unit_db kiosk-central.service)
  if [ "$(unit_db kiosk-central-report.service)" != "$DB_URL" ]; then
    say "CHÚ Ý: kiosk-central-report.service đọc một cơ sở dữ liệu khác với máy chủ: đặt cùng" \
      "KIOSK_CENTRAL_DB cho cả hai (systemctl edit) / WARNING: kiosk-central-report.service" \
      "reads another database than the server: set the same KIOSK_CENTRAL_DB in both" \
      "(systemctl edit)"
  fi
fi
SHOWN_URL=$(sed -E 's#^([a-z]+://[^:/@]*):[^@/]*@#\1:***@#' <<<"$DB_URL")  # no password

if systemd_runs; then
  if ((ENABLE || RESTART || REPORT_TIMER)); then
    # a new centre, or this version's schema, as kiosk-central (made by a command run as
    # root, a SQLite file would be root's and the server could not write it; on
    # PostgreSQL the role it signs in as owns the tables, which an upgrade needs); serve
    # never makes one: at a mistyped --db it took the kiosks' uploads into an empty centre
    runuser -u kiosk-central -- "$PREFIX/.venv/bin/kiosk-central" init --db "$DB_URL" || {
      echo "install-central: kiosk-central init --db $SHOWN_URL thất bại (xem trên); máy chủ và" \
        "báo cáo 06:00 chưa chạy lại: chạy kiosk-central init --db <URL của chủ sở hữu> bằng" \
        "tài khoản chủ sở hữu các bảng, rồi chạy lại lệnh này / kiosk-central init --db" \
        "$SHOWN_URL failed (above); the server and the 06:00 report are not started again: run" \
        "kiosk-central init --db <owner URL> as the tables' owner, then run this again" >&2
      exit 1; }
  fi
  if ((ENABLE)); then
    systemctl enable --quiet --now kiosk-central.service kiosk-central-report.timer
    say "đã bật kiosk-central.service và kiosk-central-report.timer (06:00) / enabled" \
      "kiosk-central.service and kiosk-central-report.timer (06:00)"
  else
    if ((RESTART)); then
      systemctl start kiosk-central.service
      say "đã chạy lại kiosk-central.service (nó đang chạy trước khi nâng cấp) / started" \
        "kiosk-central.service again (it was running before the upgrade)"
    fi
    if ((REPORT_TIMER)); then
      systemctl start kiosk-central-report.timer
      say "đã chạy lại kiosk-central-report.timer (06:00) / started" \
        "kiosk-central-report.timer (06:00) again"
    fi
  fi
elif live; then
  say "systemd không chạy ở đây: bật kiosk-central.service và kiosk-central-report.timer" \
    "trên chính máy trung tâm / systemd is not running here: enable kiosk-central.service" \
    "and kiosk-central-report.timer on the centre itself"
fi
say "xong. Cơ sở dữ liệu: $SHOWN_URL. Nhật ký: journalctl -u kiosk-central / done." \
  "Database: $SHOWN_URL. Logs: journalctl -u kiosk-central"
