"""Why a device node cannot be opened, and the exact commands that fix it.

Asked about the current process, the kernel decides (``os.access``, which honours the ACLs
that udev's ``uaccess`` tag adds); asked about another account (the kiosk's service user,
or a test's made-up user), the node's owner, group and mode bits decide.
"""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import stat
from collections.abc import Iterable
from pathlib import Path

from kiosk.messages import Words, both

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "scripts/udev/70-checkpoint-kiosk.rules"
"""The rule in a checkout; named by its whole path, so that the advice runs in any folder
(``scripts/…`` from the folder ``/usr/local/bin/kiosk`` was typed in failed, and with it
every step after its ``&&``)."""
INSTALLED_RULES = Path("/etc/udev/rules.d/70-checkpoint-kiosk.rules")
"""Where ``scripts/install-kiosk.sh`` (or the advice) puts it. A scanner of another make goes
in a file of its own beside it (:func:`local_rules`): the install replaces this one."""
RELOAD_RULES = "sudo udevadm control --reload-rules && sudo udevadm trigger"


def local_rules() -> Path:
    """The file the advice adds a scanner of a make the shipped rule does not list to."""
    return INSTALLED_RULES.with_name("71-checkpoint-kiosk-local.rules")


def install_rules(user: str) -> str:
    """The commands that install the shipped rule and put ``user`` in its group."""
    source = SHIPPED_RULES if SHIPPED_RULES.is_file() else Path("scripts/udev", SHIPPED_RULES.name)
    return (f"sudo install -m 0644 {shlex.quote(str(source))} {INSTALLED_RULES.parent}/ && "
            f"sudo groupadd -f --system kiosk && sudo usermod -aG kiosk {user} && "
            f"{RELOAD_RULES}")


def add_rule(subsystem: str, vid: str, pid: str) -> str:
    """One command line, runnable as printed, adding the rule line for one scanner — once:
    run again (the advice pasted a second time), it leaves the file as it is."""
    line = shlex.quote(f'SUBSYSTEM=="{subsystem}", ATTRS{{idVendor}}=="{vid}", '
                       f'ATTRS{{idProduct}}=="{pid}", GROUP="kiosk", MODE="0660", '
                       f'TAG+="uaccess"')
    rules = local_rules()
    return (f"grep -qxF {line} {rules} 2>/dev/null || echo {line} | sudo tee -a {rules} "
            f">/dev/null && {RELOAD_RULES}")


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def user_name(uid: int) -> str:
    """The account ``uid`` is, for advice naming it (the uid itself when it has no name)."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def access_problem(path: str, *, write: bool = False, uid: int | None = None,
                   gids: Iterable[int] | None = None, vid: str = "", pid: str = "",
                   subsystem: str = "", keyboard: bool = False) -> str | None:
    """None if the account may open ``path`` (read, and write if asked); else what to do,
    in Vietnamese and English.

    Without ``uid`` the current process is asked. ``vid``/``pid``/``subsystem`` let the
    advice include the udev line for a scanner the shipped rule does not list.
    ``keyboard``: the node may as well be a keyboard people type on (its name does not say
    scanner): that line is offered only if it is the scanner, saying why — the kiosk's
    account reads every key typed on a keyboard added so, passwords too (the reason it is
    not in group ``input``).
    """
    words = access_words(path, write=write, uid=uid, gids=gids)
    if words is None:
        return None
    if not (vid and pid and subsystem and words.code == "device.permission_udev"):
        return both(words.code, **words.params)
    if INSTALLED_RULES.is_file():  # installed already: only this scanner's line is missing
        return both("device.permission_udev_add_if_scanner" if keyboard
                    else "device.permission_udev_add", shown=words.params["shown"],
                    rules=INSTALLED_RULES, fix=add_rule(subsystem, vid, pid))
    added = "device.udev_rule_add_if_scanner" if keyboard else "device.udev_rule_add"
    return (both(words.code, **words.params)
            + f" ({both(added)} {add_rule(subsystem, vid, pid)})")


def access_words(path: str, *, write: bool = False, uid: int | None = None,
                 gids: Iterable[int] | None = None) -> Words | None:
    """:func:`access_problem` not worded yet (for a reader whose language is known)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return Words("device.no_such_path", {"path": path})
    need = stat.S_IROTH | (stat.S_IWOTH if write else 0)
    if uid is None:
        if os.access(path, os.R_OK | (os.W_OK if write else 0)):
            return None
        uid, groups = os.geteuid(), {os.getegid(), *os.getgroups()}
    else:
        if uid == 0:
            return None
        groups = set(gids or ())
    if st.st_uid == uid:
        bits = st.st_mode >> 6 & 7
    elif st.st_gid in groups:
        bits = st.st_mode >> 3 & 7
    else:
        bits = st.st_mode & 7
    if bits & need == need:
        return None
    user, group = user_name(uid), _group_name(st.st_gid)
    shown = (f"{path}: {stat.filemode(st.st_mode)} {user_name(st.st_uid)}:{group}")
    group_would_do = st.st_gid != 0 and (st.st_mode >> 3 & 7) & need == need
    if group_would_do and group != "input":
        fix = f"sudo usermod -aG {group} {user}"
        return Words("device.permission_group",
                     {"shown": shown, "user": user, "group": group, "fix": fix})
    return Words("device.permission_udev", {"shown": shown, "fix": install_rules(user)})
