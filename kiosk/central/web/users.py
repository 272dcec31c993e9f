"""The dashboard's people: a name, a role, argon2 password hashes, and lock-out on guessing.

Roles (what each may see is enforced in :mod:`kiosk.central.web.access`):

- ``admin``: everything — kiosk enrolment and revocation, users, the audit log;
- ``district``: only the checkpoints and kiosks of their district;
- ``tracer``: contact tracing (with a reason) and its exports;
- ``viewer``: counts and reports only, never a name or a document number.

There is no default account and no default password: the first admin is made with
``kiosk-central users add NAME --role admin``. After :data:`MAX_FAILURES` wrong passwords in a
row an account is locked for :data:`LOCK_MINUTES`; a right password while locked is refused too.

Each change to an account (added, disabled, a new password) and each sign-in is written to the
audit log in the change's own transaction, with who did it (:class:`kiosk.central.audit.Actor`):
an administrator who resets a tracer's password to trace as them leaves the reset, and the
sign-in from their address, before the trace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from kiosk.central import audit
from kiosk.central.storage import Storage
from kiosk.messages import WordedError
from kiosk.sync import protocol

ROLES = ("admin", "district", "tracer", "viewer")
NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_FAILURES = 5
LOCK_MINUTES = 15


@functools.cache
def _argon2() -> tuple[Any, str]:
    """The hasher (argon2-cffi, "server" extra: loaded by the first password, not by every
    ``kiosk-central`` command), and a hash verified against when the name is unknown, so a
    login takes as long either way."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    return hasher, hasher.hash("a password nobody has")


_COLUMNS = "name, role, district, created_at, disabled_at, failed_logins, locked_until"


class UserError(WordedError, ValueError):
    """A user command or login that cannot be carried out; ``account.*`` says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    district: str | None
    created_at: str
    disabled_at: str | None = None
    failed_logins: int = 0
    locked_until: str | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def _account(name: str, role: str, district: str | None) -> str:
    """An account as its audit records name it: the login name, role and district."""
    return f"account {name} ({role}{f', district {district}' if district else ''})"


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError("account.password_short", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise UserError("account.password_long", max=MAX_PASSWORD)


def add(storage: Storage, name: str, role: str, password: str, *, by: audit.Actor,
        district: str | None = None) -> User:
    """A new account, recorded in the audit log as added ``by`` whom (``user-add``)."""
    if not NAME_RE.fullmatch(name):
        raise UserError("account.bad_name", name=repr(name))
    if role not in ROLES:
        raise UserError("account.bad_role", role=repr(role), known=", ".join(ROLES))
    # composed (NFC) as the registry stores it: the same letters typed with combining accents
    # would scope the officer to no checkpoint
    district = unicodedata.normalize("NFC", (district or "").strip()) or None
    if (role == "district") != (district is not None):
        raise UserError("account.district_role")
    check_password(password)
    with storage._transaction() as tx:
        if storage._execute(tx, "SELECT 1 FROM users WHERE name = $1", (name,)).fetchone():
            raise UserError("account.exists", name=repr(name))
        storage._execute(tx, "INSERT INTO users (name, role, district, password_hash, "
                             "created_at) VALUES ($1, $2, $3, $4, $5)",
                         (name, role, district, _argon2()[0].hash(password), _now()))
        audit.append_account(storage, "user-add", by=by, subject=_account(name, role, district),
                             tx=tx)
    user = get(storage, name)
    assert user is not None
    return user


def get(storage: Storage, name: str) -> User | None:
    rows = storage._query(f"SELECT {_COLUMNS} FROM users WHERE name = $1", (name,))
    return User(*rows[0]) if rows else None


def all_users(storage: Storage) -> list[User]:
    return [User(*row) for row in storage._query(f"SELECT {_COLUMNS} FROM users ORDER BY name")]


def disable(storage: Storage, name: str, *, by: audit.Actor) -> bool:
    """Refuse the user's logins and end their sessions; False if unknown or already disabled.

    Written to the audit log (``user-disable``) with the change. Refused (UserError) for
    ``by`` themselves (an administrator signed in on the web would lock themselves out) and
    for the last active administrator: the centre would have no one
    to enrol or revoke kiosks or reset a password until someone with a shell on the server
    added one. The active administrators' rows are touched first, so two administrators
    disabling each other at once are taken in turn (PostgreSQL's row locks; SQLite's one
    writer) and the second is refused."""
    if by.name == name:  # a command's user@host is no login name
        raise UserError("account.not_yourself")
    with storage._transaction() as tx:
        storage._execute(tx, "UPDATE users SET role = role WHERE role = 'admin' AND "
                             "disabled_at IS NULL", ())
        if storage._execute(tx, "SELECT 1 FROM users WHERE name = $1 AND role = 'admin' AND "
                                "disabled_at IS NULL AND NOT EXISTS (SELECT 1 FROM users "
                                "WHERE role = 'admin' AND disabled_at IS NULL AND name <> $1)",
                            (name,)).fetchone() is not None:
            raise UserError("account.last_admin", name=repr(name))
        disabled = storage._execute(tx, "UPDATE users SET disabled_at = $1 WHERE name = $2 AND "
                                        "disabled_at IS NULL RETURNING role, district",
                                    (_now(), name)).fetchone()
        if disabled is not None:
            audit.append_account(storage, "user-disable", by=by,
                                 subject=_account(name, *disabled), tx=tx)
        storage._execute(tx, "DELETE FROM web_sessions WHERE user_name = $1", (name,))
    return disabled is not None


def reset_password(storage: Storage, name: str, password: str, *, by: audit.Actor) -> None:
    """New password, lock lifted, every session of the user ended; written to the audit log
    (``user-password``: by whom, whose — never the password) with the change."""
    check_password(password)
    with storage._transaction() as tx:
        account = storage._execute(tx, "UPDATE users SET password_hash = $1, failed_logins = 0, "
                                       "locked_until = NULL WHERE name = $2 "
                                       "RETURNING role, district",
                                   (_argon2()[0].hash(password), name)).fetchone()
        if account is None:
            raise UserError("account.unknown", name=repr(name))
        audit.append_account(storage, "user-password", by=by,
                             subject=_account(name, *account), tx=tx)
        storage._execute(tx, "DELETE FROM web_sessions WHERE user_name = $1", (name,))


def authenticate(storage: Storage, name: str, password: str, *, address: str | None,
                 now: dt.datetime | None = None) -> User:
    """The user if ``password`` is theirs and the account is usable; UserError otherwise.
    A sign-in is written to the audit log (``sign-in``, from ``address``) with its decision:
    no record, no sign-in.

    The message never says whether the name exists, except for a lock (which only a
    right name can reach). The argon2 verify is slow and runs outside any transaction, so
    many attempts on one name overlap; the count must hold for them all:

    - each wrong password adds one to ``failed_logins`` in the database, in one statement
      (:func:`_count_failure`), never by writing back a count read before the verify: 25
      wrong passwords at once are 25 failures, and the MAX_FAILURESth locks the account;
    - a right password is judged again, with the user's row held, after its verify: a lock
      set meanwhile by overlapping failures refuses it, as does a disabling;
    - a right password forgives only the failures counted before it was read: the count
      drops by what it read, and is left as it is when it is lower (a lock or another
      sign-in reset it meanwhile). Failures counted during its verify stay counted, so a
      burst of guesses overlapping the owner's sign-in still reaches the lock."""
    now = now or dt.datetime.now(dt.UTC)
    # a name no account can have is not looked up: PostgreSQL refuses a NUL in text, which
    # failed the login page as the database's fault (review 43 F9)
    rows = storage._query(f"SELECT {_COLUMNS}, password_hash FROM users WHERE name = $1",
                          (name,)) if NAME_RE.fullmatch(name) else []
    refused = UserError("account.wrong")
    if not rows or len(password) > MAX_PASSWORD:
        _verify(_argon2()[1], password[:MAX_PASSWORD])
        raise refused
    *fields, stored_hash = rows[0]
    user = User(*fields)
    _check_lock(user.locked_until, now)
    if not _verify(stored_hash, password):
        _count_failure(storage, name, now)
        raise refused
    with storage._transaction() as tx:
        # a no-op write holds the row (PostgreSQL's row lock; SQLite's one writer) until
        # the decision below is written
        failures, locked_until, disabled_at = storage._execute(
            tx, "UPDATE users SET failed_logins = failed_logins WHERE name = $1 "
                "RETURNING failed_logins, locked_until, disabled_at", (name,)).fetchone()
        _check_lock(locked_until, now)
        if disabled_at is not None:
            raise refused
        left = failures - user.failed_logins if failures >= user.failed_logins else failures
        if (left, locked_until) != (failures, None):
            storage._execute(tx, "UPDATE users SET failed_logins = $1, locked_until = NULL "
                                 "WHERE name = $2", (left, name))
        audit.append_account(storage, "sign-in", by=audit.Actor(name, "web", address),
                             subject=_account(name, user.role, user.district), tx=tx)
    return dataclasses.replace(user, failed_logins=left, locked_until=None)


def _check_lock(locked_until: str | None, now: dt.datetime) -> None:
    """Refuse a locked account (UserError ``account.locked``); an expired lock is no lock."""
    if locked_until and protocol.parse_time(locked_until) > now:
        raise UserError("account.locked", failures=MAX_FAILURES, until=locked_until)


def _count_failure(storage: Storage, name: str, now: dt.datetime) -> None:
    """One more wrong password for ``name``, added in the database (not a count read before
    the verify, which overlapping failures would each write back as one). The
    MAX_FAILURESth locks the account for LOCK_MINUTES and starts the count again."""
    until = protocol.format_time(now + dt.timedelta(minutes=LOCK_MINUTES))
    with storage._transaction() as tx:
        storage._execute(
            tx, "UPDATE users SET "
                "failed_logins = CASE WHEN failed_logins + 1 >= $1 THEN 0 "
                "ELSE failed_logins + 1 END, "
                "locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 "
                "ELSE locked_until END WHERE name = $3", (MAX_FAILURES, until, name))


def _verify(stored_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _argon2()[0].verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _now() -> str:
    return protocol.format_time(dt.datetime.now(dt.UTC))
