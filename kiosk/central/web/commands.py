"""``kiosk-central users …``: the dashboard's people (see :mod:`kiosk.central.web.users`).

Each change is written to the audit log with the operating-system user who ran it
(:func:`kiosk.central.audit.command_actor`). Passwords are never arguments (they would sit
in the shell history and in ``ps``): they are typed at a prompt (twice), or read from
``--password-file FILE`` (``-`` for standard input, first line only) for scripts. A password
set here for someone else is changed by its owner at her first sign-in, as one an
administrator gives out on the Users page; ``users add --own-password`` is for the one who
types her own (the first administrator, on the server).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.central import audit
from kiosk.central.web import users
from kiosk.central.web.users import UserError
from kiosk.commandline import examples, listed, open_central, print_table
from kiosk.messages import both

EXIT_REFUSED = 1

EXAMPLES = examples(
    "kiosk-central users add an.nguyen --role admin --own-password",
    'kiosk-central users add binh.tran --role district --district "Lộc Ninh"',
    "kiosk-central users add viewer1 --role viewer --password-file /run/secrets/viewer1",
    "kiosk-central users list",
    "kiosk-central users disable binh.tran",
    "kiosk-central users enable binh.tran",
    'kiosk-central users set-role binh.tran --role district --district "Bù Đăng"',
    "kiosk-central users reset-password binh.tran",
    "kiosk-central users unlock binh.tran")


def read_password(args: argparse.Namespace) -> str:
    if args.password_file:
        if args.password_file == "-":
            line = sys.stdin.readline()
        else:
            with open(args.password_file, encoding="utf-8") as file:
                line = file.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("account.no_terminal")
    first = getpass.getpass(f"{both('central.users.password')}: ")
    if getpass.getpass(f"{both('central.users.again')}: ") != first:
        raise UserError("account.passwords_differ")
    return first


def _by() -> audit.Actor:
    """Whoever runs the command, as the audit log records them."""
    return audit.Actor(audit.command_actor(), "cli")


def cmd_add(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        try:
            user = users.add(storage, args.name, args.role, read_password(args), by=_by(),
                             district=args.district, must_change=not args.own_password)
        except (UserError, OSError) as exc:
            return _refused(exc)
    where = f", {user.district}" if user.district else ""
    print(f"{both('central.users.added')}: {user.name} ({user.role}{where})")
    if user.must_change:
        print(both("central.users.change_at_sign_in", name=user.name))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        people = users.all_users(storage)
    if not listed(people, as_json=args.json, none="central.users.none"):
        return 0
    print_table("central.columns.users", "{:24} {:9} {:20} {:22} {}", (
        (u.name, u.role, u.district or "-", both(f"central.state.{_state(u)}"), u.created_at)
        for u in people))
    return 0


def _state(user: users.User) -> str:
    return "disabled" if not user.active else "locked" if user.locked_until else "active"


def cmd_disable(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        if users.get(storage, args.name) is None:
            return _refused(UserError("account.unknown", name=repr(args.name)))
        try:
            if not users.disable(storage, args.name, by=_by()):
                print(both("central.users.already_disabled", name=args.name))
                return 0
        except UserError as exc:
            return _refused(exc)
    print(both("central.users.disabled", name=args.name))
    return 0


def cmd_set_role(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        try:
            changed = users.set_role(storage, args.name, args.role, args.district, by=_by())
        except UserError as exc:
            return _refused(exc)
    where = f", {args.district}" if args.district else ""
    print(both("central.users.role_set" if changed else "central.users.role_kept",
               name=args.name, role=f"{args.role}{where}"))
    return 0


def cmd_reset_password(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        try:
            if users.get(storage, args.name) is None:
                raise UserError("account.unknown", name=repr(args.name))
            active = users.reset_password(storage, args.name, read_password(args), by=_by())
        except (UserError, OSError) as exc:
            return _refused(exc)
    print(both("central.users.password_reset", name=args.name))
    if not active:  # its logins are refused still: "lock lifted" alone said otherwise
        print(both("central.users.still_disabled", name=args.name))
    return 0


def cmd_enable(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        try:
            enabled = users.enable(storage, args.name, by=_by())
        except UserError as exc:
            return _refused(exc)
    print(both("central.users.enabled" if enabled else "central.users.not_disabled",
               name=args.name))
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        try:
            locked = users.unlock(storage, args.name, by=_by())
        except UserError as exc:
            return _refused(exc)
    print(both("central.users.unlocked" if locked else "central.users.not_locked",
               name=args.name))
    return 0


def _refused(exc: Exception) -> int:
    print(f"{both('central.refused')}: {exc}", file=sys.stderr)
    return EXIT_REFUSED


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("users", help="dashboard users: add, list, disable, enable, "
                                         "set-role, reset-password, unlock",
                           **EXAMPLES)
    actions = group.add_subparsers(dest="action", required=True)
    password = argparse.ArgumentParser(add_help=False)
    password.add_argument("--password-file", metavar="FILE",
                          help="read the password from FILE's first line ('-': standard "
                               "input) instead of asking")

    add = actions.add_parser("add", parents=[common, password], help="add a user", **examples(
        "kiosk-central users add an.nguyen --role admin --own-password   # the first admin",
        'kiosk-central users add binh.tran --role district --district "Lộc Ninh"',
        "kiosk-central users add viewer1 --role viewer --password-file /run/secrets/viewer1"))
    add.add_argument("name", help="login name: 2-40 lower-case letters, digits, . _ -")
    add.add_argument("--role", required=True, choices=users.ROLES,
                     help="admin: everything; district: one district's points and kiosks; "
                          "tracer: contact tracing; viewer: counts and reports only")
    add.add_argument("--district", help="the district a 'district' user sees")
    add.add_argument("--own-password", action="store_true",
                     help="the password is the user's own, typed by her (the first "
                          "administrator): not changed at her first sign-in, as one set for "
                          "someone else is")
    add.set_defaults(func=cmd_add)

    lst = actions.add_parser("list", parents=[common], help="users, roles and states",
                             **examples("kiosk-central users list",
                                        "kiosk-central users list --json"))
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)

    disable = actions.add_parser("disable", parents=[common],
                                 help="refuse a user's logins and end their sessions",
                                 **examples("kiosk-central users disable binh.tran"))
    disable.add_argument("name")
    disable.set_defaults(func=cmd_disable)

    enable = actions.add_parser("enable", parents=[common],
                                help="take a disabled user back into use (same password)",
                                **examples("kiosk-central users enable binh.tran"))
    enable.add_argument("name")
    enable.set_defaults(func=cmd_enable)

    role = actions.add_parser(
        "set-role", parents=[common],
        help="give a user another role or district; ends their sessions",
        **examples('kiosk-central users set-role binh.tran --role district --district "Bù Đăng"',
                   "kiosk-central users set-role binh.tran --role viewer"))
    role.add_argument("name")
    role.add_argument("--role", required=True, choices=users.ROLES,
                      help="the user's new role (as for users add)")
    role.add_argument("--district", help="the district a 'district' user sees")
    role.set_defaults(func=cmd_set_role)

    reset = actions.add_parser("reset-password", parents=[common, password],
                               help="set a new password; lifts a lock, ends sessions",
                               **examples("kiosk-central users reset-password binh.tran"))
    reset.add_argument("name")
    reset.set_defaults(func=cmd_reset_password)

    unlock = actions.add_parser(
        "unlock", parents=[common],
        help="lift the locks wrong passwords set on a user, from every address",
        **examples("kiosk-central users unlock binh.tran"))
    unlock.add_argument("name")
    unlock.set_defaults(func=cmd_unlock)
