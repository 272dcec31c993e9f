"""Booting into the kiosk: the systemd units as shipped pass `systemd-analyze verify`, and
scripts/install-kiosk.sh lays out a kiosk (config in /etc/checkpoint-kiosk, data in
/var/lib/checkpoint-kiosk 0700, udev rule, units) that `kiosk config check` accepts, and a
second run changes nothing, least of all a config the technician has edited.

The script runs with DESTDIR (a staging root): creating users and enabling units on the
machine running the tests is not the test's business; everything else is the real script.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from devices_support import Pty

from kiosk.devices.access import access_problem
from tests.camera_support import CCCD

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "scripts" / "systemd"
INSTALLED_VENV = "/opt/checkpoint-kiosk/.venv"
XORG = "checkpoint-kiosk.service.d/x11.conf"
SYSTEMD = "etc/systemd/system"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian package systemd)")
def test_every_unit_passes_systemd_analyze_verify(tmp_path):
    """Verified as installed, with this checkout's virtualenv standing in for
    /opt/checkpoint-kiosk/.venv (verify checks that each command exists): the kiosk's unit
    twice, as cage runs it and with the Xorg drop-in beside it, as xinit does."""
    venv = Path(sys.executable).parent.parent
    units = sorted(UNITS.glob("*.service")) + sorted(UNITS.glob("*.timer"))
    assert {u.name for u in units} == {"checkpoint-kiosk.service", "kiosk-central.service",
                                       "kiosk-central-report.service",
                                       "kiosk-central-report.timer"}
    for display in ("cage", "x11"):
        folder = tmp_path / display
        for unit in units + ([UNITS / XORG] if display == "x11" else []):
            installed = folder / unit.relative_to(UNITS)
            installed.parent.mkdir(parents=True, exist_ok=True)
            installed.write_text(unit.read_text(encoding="utf-8").replace(
                INSTALLED_VENV, str(venv)), encoding="utf-8")
        checked = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", *(str(folder / u.name) for u in units)],
            capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0, checked.stderr
        assert checked.stderr == "", checked.stderr  # unknown keys are only warned about


def test_the_kiosk_unit_restarts_on_crash_and_logs_to_the_journal_on_either_display():
    unit = (UNITS / "checkpoint-kiosk.service").read_text(encoding="utf-8")
    assert "Restart=always" in unit
    assert "StandardOutput=journal" in unit
    assert "User=kiosk" in unit
    command = f"{INSTALLED_VENV}/bin/kiosk run --config /etc/checkpoint-kiosk/config.toml"
    assert f"ExecStart=/usr/bin/cage -s -- {command}\n" in unit
    xorg = (UNITS / XORG).read_text(encoding="utf-8")
    # the drop-in empties ExecStart before giving its own: two would be refused
    assert f"ExecStart=\nExecStart=/usr/bin/xinit {command} -- :0 vt7 " in xorg
    assert "Environment=QT_QPA_PLATFORM=xcb" in xorg
    assert "SupplementaryGroups=tty" in xorg  # added to the unit's video render audio
    assert "Restart" not in xorg and "[Unit]" not in xorg  # the unit's own, whatever the display


def kiosk_account_groups() -> tuple[set[str], set[str]]:
    """The groups the install gives the kiosk account (its ``usermod -aG`` loop: what
    /usr/local/bin/kiosk runs with) and those the unit adds to the service."""
    script = (ROOT / "scripts" / "install-kiosk.sh").read_text(encoding="utf-8")
    loop = re.search(r"for group in ([\w ]+); do\n\s+getent group \"\$group\" >/dev/null && "
                     r"usermod -aG \"\$group\" kiosk", script)
    assert loop, "the install's usermod loop"
    unit = (UNITS / "checkpoint-kiosk.service").read_text(encoding="utf-8")
    supplementary = re.search(r"^SupplementaryGroups=(.*)$", unit, re.MULTILINE)
    assert supplementary
    return set(loop.group(1).split()), set(supplementary.group(1).split())


def test_a_serial_scanner_the_udev_rule_does_not_know_is_opened_by_the_kiosk_account():
    """An RS-232 scanner on a USB-serial adapter (FTDI, CH340, PL2303), or a CCCD reader of a
    make the udev rule does not list, is /dev/ttyUSB0 root:dialout 0660. The kiosk account
    was in video, input, render, audio and tty only: every scan of that lane was lost behind
    "permission denied", and the advice (usermod, then log out and in) did not reach the
    running service. Now the install and the unit both put the account in dialout."""
    dialout = grp.getgrnam("dialout")
    with Pty() as port:
        node = Path(port.path)
        if os.geteuid() == 0:
            os.chown(node, 0, dialout.gr_gid)
        elif node.stat().st_gid != dialout.gr_gid:
            pytest.skip("a pty can be given group dialout by root only")
        node.chmod(0o660)
        account = 54321  # the kiosk account: neither the node's owner nor root
        for groups in kiosk_account_groups():
            gids = [group.gr_gid for group in grp.getgrall() if group.gr_name in groups]
            assert access_problem(str(node), write=True, uid=account, gids=gids) is None, groups


def test_the_kiosk_account_opens_the_scanners_the_udev_rule_gives_it_and_no_keyboard(
        tmp_path):
    """Every /dev/input/event* node is root:input 0660 (systemd's own udev rules): the
    install put the kiosk account in group input, and the unit added it to the service, so
    the kiosk could read every keyboard on the machine, the technician's passwords
    included, beside the scanners the shipped udev rule gives group kiosk alone. Now neither
    does: a keyboard's node stays closed to the account, a listed scanner's opens (the
    account's own group is kiosk: useradd --gid kiosk, the unit's Group=kiosk). Real nodes'
    owners and modes; a group this machine lacks stands in under a gid of its own."""
    if os.geteuid() != 0:
        pytest.skip("giving a file another group needs root")
    rule = (ROOT / "scripts/udev/70-checkpoint-kiosk.rules").read_text(encoding="utf-8")
    assert 'SUBSYSTEM=="input", KERNEL=="event*", GROUP="kiosk", MODE="0660"' in rule
    unit = (UNITS / "checkpoint-kiosk.service").read_text(encoding="utf-8")
    assert re.search(r"^Group=kiosk$", unit, re.MULTILINE)
    stand_ins: dict[str, int] = {}

    def gid(name: str) -> int:
        try:
            return grp.getgrnam(name).gr_gid
        except KeyError:
            return stand_ins.setdefault(name, 61000 + len(stand_ins))

    keyboard, scanner = tmp_path / "event3", tmp_path / "event7"
    for node, group in ((keyboard, "input"), (scanner, "kiosk")):
        node.write_bytes(b"")
        os.chown(node, 0, gid(group))
        node.chmod(0o660)
    account = 54321  # the kiosk account: neither the nodes' owner nor root
    for groups in kiosk_account_groups():
        gids = [gid(name) for name in groups | {"kiosk"}]
        assert access_problem(str(scanner), uid=account, gids=gids) is None, groups
        assert access_problem(str(keyboard), uid=account, gids=gids) is not None, groups


def test_an_upgrade_takes_the_kiosk_account_out_of_group_input():
    """A kiosk installed by an earlier release is in group input; the install, run again as
    an upgrade, takes it out (and says so), and leaves an account outside it alone. The
    script's own lines, run with stand-ins for the account database."""
    script = (ROOT / "scripts" / "install-kiosk.sh").read_text(encoding="utf-8")
    block = re.search(r"\n  (if [^\n]*id -nG kiosk.*?\n  fi)\n", script, re.DOTALL)
    assert block, "the install's removal from group input"
    stand_ins = ('say() { echo "install-kiosk: $*"; }\n'
                 'gpasswd() { echo "gpasswd $*" >&2; }\n'
                 'id() { echo "$GROUPS_NOW"; }\n')
    for groups, removed in (("kiosk video input render audio tty dialout", True),
                            ("kiosk video render audio tty dialout", False)):
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", stand_ins + block[1]],
                              env={**os.environ, "GROUPS_NOW": groups}, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert (done.stderr == "gpasswd -d kiosk input\n") == removed, done.stderr
        assert ("took the kiosk account out of group input" in done.stdout) == removed


def test_a_config_the_kiosk_refuses_is_not_started_again_every_2_s(tmp_path):
    """`kiosk run` refuses a config it cannot read with exit 2, but under the unit nothing
    sees that code (cage and xinit exit 0: the next test), and `Restart=always` with no start
    limit ran it again every 2 s for ever, the screen dark. The unit reads the config first
    (ExecCondition=: a refusal, exit 1–254, skips the start, and a skipped start is not
    restarted), on either display, as the kiosk account; the refusal goes to the journal."""
    unit = (UNITS / "checkpoint-kiosk.service").read_text(encoding="utf-8")
    check = re.search(r"^ExecCondition=(.+)$", unit, re.M)[1].split()
    start = re.search(r"^ExecStart=.+$", unit, re.M)[0]
    assert check == [f"{INSTALLED_VENV}/bin/kiosk", "run", "--check-config", "--config",
                     "/etc/checkpoint-kiosk/config.toml"]
    assert start.endswith(" ".join(check).replace(" --check-config", ""))
    assert "ExecCondition" not in (UNITS / XORG).read_text(encoding="utf-8")  # Xorg's too

    def checked(config: str) -> subprocess.CompletedProcess[str]:
        path = tmp_path / "config.toml"
        path.write_text(config, encoding="utf-8")
        return subprocess.run([sys.executable, "-m", "kiosk.cli", *check[1:-1], str(path)],
                              capture_output=True, text=True, timeout=60, cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})

    good = (ROOT / "config.toml").read_text(encoding="utf-8").replace(
        'path = "data/kiosk.db"', f'path = "{tmp_path}/data/kiosk.db"')
    started = checked(good)
    assert (started.returncode, started.stdout, started.stderr) == (0, "", "")
    refused = checked(good.replace("retention_days = ", "retention_days = -"))
    assert refused.returncode == 2
    assert refused.stderr.startswith("lỗi cấu hình: config.toml: store.retention_days: ")
    assert not (tmp_path / "data").exists()  # read only: no store, no device started


LEAKING_BINDING = """\
import ctypes

import PySide6.QtCore


class LeakingTimer(PySide6.QtCore.QTimer):
    def setInterval(self, msec):
        super().setInterval(msec)
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(None))  # as PySide6 6.12.0 on 3.11


PySide6.QtCore.QTimer = LeakingTimer
"""
"""A sitecustomize making this PySide6 lose a reference to None at each call the startup
check makes (:func:`kiosk.ui.binding.reference_leak`), as PySide6 6.12.0 on Python 3.11
does at every call."""


def test_what_a_restart_cannot_mend_is_not_started_again_every_2_s(tmp_path):
    """`kiosk run` refuses a Qt binding that would abort it after hours with exit 4, before
    any window: under cage or xinit (exit 0 whatever its code) the unit started it again
    every 2 s for ever, the screen dark, though only installing another PySide6 helps. The
    unit's check before each start (`--check-config`) refuses it too, exit 4 and why in the
    journal: the start is skipped, not restarted; with `--headless` no window, no check. A
    cage that passes its client's code on (0.2 and later) is told which codes not to restart
    on: the config's (2) and the binding's (4), not a store that could not be opened (3: a
    disk freed or mounted later mends it) nor a crash."""
    from kiosk.commandline import EXIT_BINDING, EXIT_STORE, EXIT_USAGE

    unit = (UNITS / "checkpoint-kiosk.service").read_text(encoding="utf-8")
    check = re.search(r"^ExecCondition=(.+)$", unit, re.M)[1].split()
    prevented = re.search(r"^RestartPreventExitStatus=(.+)$", unit, re.M)[1].split()
    assert sorted(map(int, prevented)) == [EXIT_USAGE, EXIT_BINDING] == [2, 4]
    assert str(EXIT_STORE) not in prevented and "Restart=always" in unit
    leaking = tmp_path / "leaking"
    leaking.mkdir()
    (leaking / "sitecustomize.py").write_text(LEAKING_BINDING, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8").replace(
        'path = "data/kiosk.db"', f'path = "{tmp_path}/data/kiosk.db"'), encoding="utf-8")

    def checked(*extra: str, binding: Path | None = None) -> subprocess.CompletedProcess[str]:
        path = os.pathsep.join(str(p) for p in (binding, ROOT) if p is not None)
        return subprocess.run([sys.executable, "-m", "kiosk.cli", *check[1:-1], str(config),
                               *extra], capture_output=True, text=True, timeout=60,
                              cwd=tmp_path, env={**os.environ, "PYTHONPATH": path})

    refused = checked(binding=leaking)
    assert refused.returncode == EXIT_BINDING, refused.stderr
    assert refused.stderr.startswith("Không dùng giao diện Qt: PySide6 ")
    assert "pip install 'PySide6>=6.6,<6.12'" in refused.stderr
    headless = checked("--headless", binding=leaking)
    assert (headless.returncode, headless.stderr) == (0, "")
    sound = checked()
    assert (sound.returncode, sound.stdout, sound.stderr) == (0, "", "")
    assert not (tmp_path / "data").exists()  # read only: no store, no device started


def free_display() -> str:
    taken = {p.name for p in Path("/tmp/.X11-unix").glob("X*")}
    return next(f":{n}" for n in range(211, 300) if f"X{n}" not in taken)


@pytest.mark.skipif(shutil.which("xinit") is None or shutil.which("Xvfb") is None,
                    reason="xinit or Xvfb is not installed (scripts/bootstrap.sh)")
def test_xinit_ends_with_0_whatever_the_kiosks_exit_code(tmp_path):
    """Why the unit reads the config before starting rather than telling systemd which exit
    codes not to restart (RestartPreventExitStatus=): the unit's process is xinit (or cage,
    the same on Debian 12's 0.1.4), and it ends with 0 when its client exits 2."""
    done = subprocess.run(["xinit", "/bin/sh", "-c", "exit 2", "--", shutil.which("Xvfb"),
                           free_display(), "-nolisten", "tcp"], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def install(root: Path, *args: str) -> str:
    """The script's output; cage, when asked, with an Xwayland standing in for Debian's."""
    done = subprocess.run([str(ROOT / "scripts" / "install-kiosk.sh"), *args],
                          env={**os.environ, "DESTDIR": str(root), "XWAYLAND": "/bin/true"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(root)): (p.stat().st_mode, p.read_bytes() if p.is_file() else b"")
            for p in sorted(root.rglob("*"))}


def test_install_lays_out_a_kiosk_and_a_second_run_changes_nothing(tmp_path):
    install(tmp_path)
    config = tmp_path / "etc/checkpoint-kiosk/config.toml"
    data = tmp_path / "var/lib/checkpoint-kiosk"
    assert data.stat().st_mode & 0o777 == 0o700
    assert config.stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "etc/udev/rules.d/70-checkpoint-kiosk.rules").exists()
    assert (tmp_path / "etc/systemd/system/checkpoint-kiosk.service").exists()
    settings = tomllib.loads(config.read_text(encoding="utf-8"))
    assert settings["store"]["path"] == "/var/lib/checkpoint-kiosk/kiosk.db"
    assert settings["kiosk"]["fullscreen"] is True
    assert [d["enabled"] for d in settings["devices"]] == [False]  # the sample scanner
    checked = subprocess.run([sys.executable, "-m", "kiosk.cli", "config", "check",
                              "--config", str(config)], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    wrapper = tmp_path / "usr/local/bin/kiosk"
    assert wrapper.stat().st_mode & 0o777 == 0o755
    assert installed_kiosk(wrapper, tmp_path, "config", "check").stdout.startswith(
        f"{config}: ĐÚNG — trạm kiosk-01")  # the installed config, as the kiosk account

    before = snapshot(tmp_path)
    assert "kept the existing" in install(tmp_path)
    assert snapshot(tmp_path) == before

    edited = config.read_text(encoding="utf-8").replace('id = "kiosk-01"', 'id = "ql1a-02"')
    config.write_text(edited, encoding="utf-8")
    install(tmp_path, "--display", "x11")
    assert config.read_text(encoding="utf-8") == edited


def installed_kiosk(wrapper: Path, root: Path, *args: str,
                    env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """/usr/local/bin/kiosk as the install wrote it, run by its own account: its three
    settings pointed into the staging ``root`` (the account: the one running the tests;
    the installed kiosk: this checkout's, through a shim), every other line as written."""
    shim = root / "opt/checkpoint-kiosk/.venv/bin/kiosk"
    shim.parent.mkdir(parents=True, exist_ok=True)
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kiosk.cli "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    settings = {"ACCOUNT": pwd.getpwuid(os.getuid()).pw_name, "KIOSK": str(shim),
                "CONFIG": str(root / "etc/checkpoint-kiosk/config.toml")}
    lines = wrapper.read_text(encoding="utf-8").splitlines()
    assert [line.split("=")[0] for line in lines if line.split("=")[0] in settings] == \
        list(settings)
    staged = root / "kiosk-staged"
    staged.write_text("\n".join(f"{line.split('=')[0]}={settings[line.split('=')[0]]}"
                                if line.split("=")[0] in settings else line
                                for line in lines) + "\n", encoding="utf-8")
    staged.chmod(0o755)
    done = subprocess.run([str(staged), *args], capture_output=True, text=True, timeout=60,
                          env={**{k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"},
                               "PYTHONPATH": str(ROOT), **(env or {})})
    staged.unlink()
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_the_installed_kiosk_command_runs_as_the_kiosk_account_with_the_installed_config(
        tmp_path):
    """A technician's shell on the kiosk: `kiosk doctor` must look at the store the service
    writes (/var/lib/checkpoint-kiosk, 0700 kiosk), with /etc/checkpoint-kiosk/config.toml,
    not at a checkout's sample config. The wrapper names exactly those, and moves to the
    account: runuser as root, sudo from any other account."""
    install(tmp_path)
    wrapper = tmp_path / "usr/local/bin/kiosk"
    text = wrapper.read_text(encoding="utf-8")
    for line in ("ACCOUNT=kiosk", f"KIOSK={INSTALLED_VENV}/bin/kiosk",
                 "CONFIG=/etc/checkpoint-kiosk/config.toml",
                 'exec runuser -u "$ACCOUNT" -- env KIOSK_CONFIG="$KIOSK_CONFIG" "$KIOSK" "$@"',
                 'exec sudo -u "$ACCOUNT" -- env KIOSK_CONFIG="$KIOSK_CONFIG" "$KIOSK" "$@"'):
        assert line in [written.strip() for written in text.splitlines()], line
    assert subprocess.run(["sh", "-n", str(wrapper)]).returncode == 0

    store = tmp_path / "var/lib/checkpoint-kiosk/kiosk.db"
    config = tmp_path / "etc/checkpoint-kiosk/config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "/var/lib/checkpoint-kiosk/kiosk.db", str(store)), encoding="utf-8")
    installed_kiosk(wrapper, tmp_path, "scan", CCCD)
    assert store.is_file()  # the installed store, wherever the shell stood
    other = tmp_path / "elsewhere.toml"
    other.write_text(config.read_text(encoding="utf-8").replace('id = "kiosk-01"',
                                                                'id = "ql1a-02"'))
    chosen = installed_kiosk(wrapper, tmp_path, "config", "check",
                             env={"KIOSK_CONFIG": str(other)})
    assert "ql1a-02" in chosen.stdout  # $KIOSK_CONFIG still chooses


def test_a_wrong_option_is_refused_before_anything_is_written(tmp_path):
    done = subprocess.run([str(ROOT / "scripts" / "install-kiosk.sh"), "--display", "vnc"],
                          env={**os.environ, "DESTDIR": str(tmp_path)}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "--display must be cage or x11" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_cage_without_xwayland_is_not_chosen_and_not_accepted(tmp_path):
    """Debian 12's cage 0.1.4 exits at once without Xwayland ("Cannot create XWayland
    server") and its package does not depend on it: a kiosk unit would fail at every boot."""
    if shutil.which("cage") is None:
        pytest.skip("cage is not installed (scripts/bootstrap.sh installs it)")
    env = {**os.environ, "DESTDIR": str(tmp_path / "auto"), "XWAYLAND": str(tmp_path / "none")}
    chosen = subprocess.run([str(ROOT / "scripts" / "install-kiosk.sh")], env=env,
                            capture_output=True, text=True, timeout=60)
    assert chosen.returncode == 0, chosen.stderr
    assert "(apt install xwayland): using Xorg" in chosen.stderr
    assert "done (x11). Logs: journalctl -u checkpoint-kiosk.service" in chosen.stdout

    env["DESTDIR"] = str(tmp_path / "asked")
    asked = subprocess.run([str(ROOT / "scripts" / "install-kiosk.sh"), "--display", "cage"],
                           env=env, capture_output=True, text=True, timeout=60)
    assert asked.returncode == 1
    assert "cage needs" in asked.stderr and "apt install xwayland" in asked.stderr
    assert not (tmp_path / "asked").exists()


def test_the_screens_vietnamese_is_compiled_where_the_install_put_the_package(tmp_path):
    """pip copies no ``.qm`` from a checkout (they are compiled, not in git): the install
    compiled them into the checkout after pip, with an lrelease not on root's PATH, its
    failure hidden — every screen of a kiosk installed as the docs say was in English. The
    install now compiles the package's own ``.ts`` in its folder with the venv's lrelease,
    and stops if it cannot. Here: a folder holding the ``.ts`` alone, PATH without lrelease."""
    from PySide6.QtCore import QTranslator

    i18n = tmp_path / "site-packages" / "kiosk" / "ui" / "i18n"
    i18n.mkdir(parents=True)
    shutil.copy(ROOT / "kiosk/ui/i18n/kiosk_vi.ts", i18n)
    env = {**os.environ, "PATH": "/usr/bin:/bin",
           "LRELEASE": str(Path(sys.executable).with_name("pyside6-lrelease"))}

    subprocess.run([str(ROOT / "scripts/build_translations.sh"), str(i18n)], check=True,
                   env=env, cwd=tmp_path, timeout=120)

    translator = QTranslator()
    assert translator.load(str(i18n / "kiosk_vi.qm"))
    assert translator.translate("SyncScreen", "Refused entries") == "Các lượt bị từ chối"
    script = (ROOT / "scripts/install-kiosk.sh").read_text()
    assert '"$PREFIX/.venv/bin/pyside6-lrelease" "$SRC/scripts/build_translations.sh"' in script
    assert "build_translations.sh\" >/dev/null 2>&1 || true" not in script


def units_installed(root: Path) -> list[str]:
    systemd = root / SYSTEMD
    return sorted(str(p.relative_to(systemd)) for p in systemd.rglob("*")
                  if p.is_file() or p.is_symlink())


def test_on_xorg_the_kiosk_is_the_same_one_unit_with_the_xorg_drop_in(tmp_path):
    """Every `systemctl … checkpoint-kiosk` and `journalctl -u checkpoint-kiosk` of the docs
    must act on the running kiosk. Xorg kiosks had a unit of their own: there `stop` stopped
    nothing (and a backup was then moved in under the running kiosk), `start` stopped the
    Xorg kiosk (Conflicts=) to run a missing cage every 2 s."""
    done = install(tmp_path, "--display", "x11")
    assert units_installed(tmp_path) == ["checkpoint-kiosk.service", XORG]
    assert (tmp_path / SYSTEMD / XORG).read_bytes() == (UNITS / XORG).read_bytes()
    assert (tmp_path / SYSTEMD / XORG).stat().st_mode & 0o777 == 0o644
    assert "done (x11). Logs: journalctl -u checkpoint-kiosk.service" in done


def test_installing_again_for_cage_removes_the_xorg_drop_in_and_keeps_a_technicians_own(
        tmp_path):
    install(tmp_path, "--display", "x11")
    own = tmp_path / SYSTEMD / "checkpoint-kiosk.service.d/override.conf"  # systemctl edit
    own.write_text("[Service]\nEnvironment=QT_SCALE_FACTOR=1.5\n", encoding="utf-8")

    done = install(tmp_path, "--display", "cage")
    assert units_installed(tmp_path) == ["checkpoint-kiosk.service",
                                         "checkpoint-kiosk.service.d/override.conf"]
    assert ("removed /etc/systemd/system/checkpoint-kiosk.service.d/x11.conf: the kiosk runs "
            "under cage from its next start / đã gỡ") in done

    own.unlink()
    install(tmp_path, "--display", "x11")
    install(tmp_path, "--display", "cage")
    assert units_installed(tmp_path) == ["checkpoint-kiosk.service"]  # no empty folder left


@pytest.mark.parametrize("display", ["cage", "x11"])
def test_a_kiosk_of_an_earlier_release_ends_with_the_one_unit_on_its_own_display(
        tmp_path, display):
    """The earlier layout: both units installed, the display's enabled (its link in
    graphical.target.wants), each Conflicts= with the other: either start stopped the other.
    Run again as an upgrade (no --display), the install removes the Xorg unit and its link
    (on a running system `systemctl disable --now`, then starts the one unit if the old one
    was running), and a kiosk on Xorg stays on Xorg though cage could be chosen."""
    root = tmp_path / "root"
    systemd = root / SYSTEMD
    (systemd / "graphical.target.wants").mkdir(parents=True)
    (systemd / "checkpoint-kiosk-x11.service").write_text(
        "[Unit]\nConflicts=getty@tty7.service checkpoint-kiosk.service\n[Service]\n"
        "ExecStart=/usr/bin/xinit\n[Install]\nWantedBy=graphical.target\n", encoding="utf-8")
    (systemd / "checkpoint-kiosk.service").write_text(
        "[Unit]\nConflicts=getty@tty7.service checkpoint-kiosk-x11.service\n", encoding="utf-8")
    enabled = "checkpoint-kiosk-x11.service" if display == "x11" else "checkpoint-kiosk.service"
    (systemd / "graphical.target.wants" / enabled).symlink_to(f"/{SYSTEMD}/{enabled}")

    done = subprocess.run([str(ROOT / "scripts" / "install-kiosk.sh")], capture_output=True,
                          env={**os.environ, "DESTDIR": str(root), "XWAYLAND": "/bin/true",
                               "PATH": f"{stand_in_cage(tmp_path)}:{os.environ['PATH']}"},
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"done ({display}). Logs: journalctl -u checkpoint-kiosk.service" in done.stdout
    assert ("installed on Xorg: kept (--display cage to change)" in done.stderr) == (
        display == "x11")
    assert ("removed checkpoint-kiosk-x11.service: the kiosk is checkpoint-kiosk.service on "
            "either display / đã gỡ checkpoint-kiosk-x11.service") in done.stdout
    assert units_installed(root) == ["checkpoint-kiosk.service"] + (
        [XORG] if display == "x11" else ["graphical.target.wants/checkpoint-kiosk.service"])
    assert (systemd / "checkpoint-kiosk.service").read_bytes() == (
        UNITS / "checkpoint-kiosk.service").read_bytes()

    script = (ROOT / "scripts/install-kiosk.sh").read_text(encoding="utf-8")
    assert 'systemctl disable --quiet --now "$OLD_UNIT"' in script


def stand_in_cage(root: Path) -> Path:
    """A folder whose `cage` is there to be found: the install's choice, not its running."""
    folder = root / "stand-in"
    folder.mkdir()
    (folder / "cage").symlink_to("/bin/true")
    return folder


def test_every_command_of_the_docs_names_the_one_kiosk_unit():
    """docs/technician.md's stop before restoring a backup or recovering the store, its
    start, restart and journal, and README's: the unit every kiosk runs, whatever its display.
    The earlier Xorg unit's name is left only where the install removes it, and where the
    guide says so."""
    named = []
    for doc in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))):
        text = doc.read_text(encoding="utf-8")
        for old in re.finditer("checkpoint-kiosk-x11", text):
            assert "earlier release" in text[old.start() - 80:old.start()], doc.name
        named += re.findall(r"(?:systemctl (?:start|stop|restart|status|cat|edit)|journalctl -u)"
                            r" (checkpoint-kiosk[\w.-]*)", text)
    assert named and set(named) == {"checkpoint-kiosk"}
    mentions = [p.name for p in [*ROOT.joinpath("scripts").rglob("*"), *UNITS.rglob("*")]
                if p.is_file() and "checkpoint-kiosk-x11" in p.read_text(errors="replace")]
    assert mentions == ["install-kiosk.sh"]


def camera_section() -> str:
    text = (ROOT / "docs" / "technician.md").read_text(encoding="utf-8")
    start = text.index("## Camera: ")
    return text[start:text.index("\n## ", start + 1)]


def test_the_guides_camera_check_is_the_installed_kiosks_and_runs(tmp_path):
    """docs/technician.md's camera section ran `.venv/bin/python -m kiosk.devices.camera`
    (no such file on a kiosk installed by install-kiosk.sh: its software is in
    /opt/checkpoint-kiosk/.venv) and fixed a camera it could not open with `usermod -aG video
    $USER` and logging in again — the technician's own account, while the kiosk runs as
    `kiosk` and its service keeps the groups it started with. The check is the installed
    software's, as the kiosk account, with the running kiosk (which holds a camera it has)
    stopped around it; run as printed (a recording for the camera), it reads the code."""
    from tests.camera_support import Shot, qr_image, write_video

    section = camera_section()
    blocks = [line.strip() for line in section.splitlines() if line.startswith("    ")]
    checks = [line for line in blocks if "-m kiosk.devices.camera" in line]
    installed = f"sudo -u kiosk {INSTALLED_VENV}/bin/python -m kiosk.devices.camera "
    assert checks and all(line.startswith(installed) for line in checks), checks
    at = blocks.index(checks[0])
    assert blocks[at - 1:at + 2:2] == ["sudo systemctl stop checkpoint-kiosk",
                                       "sudo systemctl start checkpoint-kiosk"]
    assert "usermod -aG video $USER" not in section
    assert ("`sudo usermod -aG video kiosk`, then `sudo systemctl restart checkpoint-kiosk`"
            in section)

    video = tmp_path / "held-up.avi"
    write_video(video, [Shot(3), Shot(10, qr_image(CCCD)), Shot(3)])
    words = checks[0].split()[3:]  # from `python`, the installed venv's standing in
    words[words.index("/dev/video0")] = str(video)
    words[words.index("/tmp/cam.jpg")] = str(tmp_path / "cam.jpg")
    ran = subprocess.run([sys.executable, *words[1:]], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "Nguyễn Văn An" in ran.stdout
    assert (tmp_path / "cam.jpg").stat().st_mode & 0o077 == 0
