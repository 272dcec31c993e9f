"""The dashboard's people: a name, a role, argon2 password hashes, and guessing slowed.

Roles (what each may see is enforced in :mod:`kiosk.central.web.access`):

- ``admin``: everything — kiosk enrolment and revocation, users, the audit log;
- ``district``: only the checkpoints and kiosks of their district;
- ``tracer``: contact tracing (with a reason) and its exports;
- ``viewer``: counts and reports only, never a name or a document number.

There is no default account and no default password: the first admin is made with
``kiosk-central users add NAME --role admin``.

Wrong passwords lock a name from the address they came from, never everywhere: anyone who can
reach the login page could otherwise keep any account (the last administrator's, every
tracer's in an outbreak) locked for ever with a few guesses a quarter-hour (OWASP's
authentication guidance). Counted in ``login_failures`` (schema v36), for every well-formed
name, known or not, so that a lock tells nothing of which names exist:

- :data:`MAX_FAILURES` wrong passwords for a name from one address, within
  :data:`WINDOW_MINUTES`, lock the name *from that address* for :data:`LOCK_MINUTES` (a right
  password from there is refused too). The owner at her own address is not held up;
- :data:`ACCOUNT_FAILURES` wrong passwords for a name from all addresses within
  :data:`WINDOW_MINUTES` (guessing spread over many) hold it for :data:`HOLD_MINUTES`
  against every address it has not signed in from within :data:`KNOWN_DAYS`. Held attempts
  are refused unverified and uncounted, each attempt is counted before its verify, and each
  count runs at least an hour (its window, or the hold it ends in), so an attacker with any
  number of new addresses tests at most ACCOUNT_FAILURES passwords an hour over hours, fewer
  than twice that in any one hour, and MAX_FAILURES every LOCK_MINUTES more
  from an address the owner signed in from. The old lock of the whole account allowed the
  same 20 an hour, and let anyone keep the owner out for ever. The owner keeps access from
  any address she signed in from before; from any other once the hold ends — which a steady
  ACCOUNT_FAILURES an hour renews without end — or once an administrator unlocks the name
  (:func:`unlock`: ``kiosk-central users unlock``, the Users page);
- a browser the owner signed in on keeps a device cookie (OWASP's): a random id given at
  each sign-in (:func:`remember_browser`), kept in ``login_devices`` (schema v41) for
  DEVICE_DAYS. With it her attempts for that name pass its locks and its hold — a stranger
  at her address (an office's one public address) or a steady attack cannot keep her own
  browser out — but each is counted in the cookie, which DEVICE_FAILURES wrong passwords, a
  new password, a disabling or an unlock end: a copied cookie gives a guesser
  DEVICE_FAILURES passwords, not an uncapped count past the locks.

Each change to an account (added, disabled, enabled, a new password, unlocked) and each sign-in is
written to the audit log in the change's own transaction, with who did it
(:class:`kiosk.central.audit.Actor`): an administrator who resets a tracer's password to trace
as them leaves the reset, and the sign-in from their address, before the trace.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import itertools
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from kiosk.central import audit, registry
from kiosk.central.storage import Storage
from kiosk.messages import WordedError
from kiosk.sync import protocol

ROLES = ("admin", "district", "tracer", "viewer")
NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_FAILURES = 5
LOCK_MINUTES = 15
WINDOW_MINUTES = 60
ACCOUNT_FAILURES = 20
HOLD_MINUTES = 60
KNOWN_DAYS = 30
DEVICE_FAILURES = 5
"""Wrong passwords typed with one device cookie before it is trusted no more, for good: as
many as one address gets before its lock, so a copied cookie is worth no more than a new
address (once, not every LOCK_MINUTES), while the owner mistyping in her own browser loses
only its trust, not her access (the locks then apply to her as to any browser)."""
DEVICE_DAYS = 365
"""How long a device cookie is trusted after the sign-in that gave it (browser and centre)."""
EVERYWHERE = "*"
"""The address of a name's count of failures from all addresses (no client's address)."""
UNKNOWN = "?"
"""The address a client without an IP address is counted under (the throttle's as well):
never EVERYWHERE, which a forwarded ``*`` would otherwise fill in three guesses."""


@functools.cache
def _argon2() -> tuple[Any, str]:
    """The hasher (argon2-cffi, "server" extra: loaded by the first password, not by every
    ``kiosk-central`` command), and a hash verified against when the name is unknown, so a
    login takes as long either way."""
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    return hasher, hasher.hash("a password nobody has")


_COLUMNS = ("name, role, district, created_at, disabled_at, (SELECT max(locked_until) FROM "
            "login_failures f WHERE f.name = users.name AND f.locked_until > $1), "
            "must_change_password")


class UserError(WordedError, ValueError):
    """A user command or login that cannot be carried out; ``account.*`` says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    district: str | None
    created_at: str
    disabled_at: str | None = None
    locked_until: str | None = None
    """The end of the latest lock of the name from an address, or of its hold (None: none)."""
    must_change: int = 0
    """Whether its password was set by an administrator (the Users page, ``users add``
    without ``--own-password``, ``users reset-password``) and is to be changed by its owner
    before any page (schema v54)."""

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def _account(name: str, role: str, district: str | None) -> str:
    """An account as its audit records name it: the login name, role and district."""
    return f"account {name} ({role}{f', district {district}' if district else ''})"


def _district_for(storage: Storage, role: str, district: str | None) -> str | None:
    """The district as stored for an account of ``role`` (UserError: an unknown role, a
    district user without one or another role with one, or — once the registry is imported
    — a district none of its points is in, naming the nearest it has: a mistyped "Dong Xoai"
    gave its officer an empty dashboard reading "no problems")."""
    if role not in ROLES:
        raise UserError("account.bad_role", role=repr(role), known=", ".join(ROLES))
    # composed (NFC) as the registry stores it: the same letters typed with combining accents
    # would scope the officer to no checkpoint
    district = unicodedata.normalize("NFC", (district or "").strip()) or None
    if (role == "district") != (district is not None):
        raise UserError("account.district_role")
    known = registry.districts(storage)
    if district is not None and known and district not in known:
        raise UserError("account.unknown_district", district=repr(district),
                        near=", ".join(registry.nearest(district, known)) or "—")
    return district


COMMON_PASSWORDS = frozenset({
    "0123456789", "1234567890", "0987654321", "9876543210", "12345678910", "123456789a",
    "a123456789", "1234567890a", "123456789@", "1q2w3e4r5t", "1qaz2wsx3edc", "qwertyuiop",
    "qwerty1234", "asdfghjkl;", "zxcvbnm123", "password12", "password123", "password1234",
    "passw0rd123", "matkhau123", "matkhau1234", "admin12345", "admin123456", "administrator",
    "iloveyou12", "anhyeuem123", "anhyeuem1234", "vietnam123", "vietnam1234", "abc1234567",
    "abcd123456", "abcd1234567", "abcdefghij", "changeme123", "welcome123", "letmein123",
    "kiosk12345", "centre12345", "center12345", "trungtam123"})
"""Passwords of at least MIN_PASSWORD characters that lists of leaked passwords put first
(and the project's own words): the first a guesser tries, whatever the lock-out allows."""


def check_password(password: str, name: str = "") -> None:
    """Refuse (UserError) a password too short or long, a common one (or a run such as
    ``abcdefghij``), one holding the login ``name``, or one repeating a character or a piece
    (``aaaaaaaaaa``, ``weak2weak2``): length alone let all of these through."""
    if len(password) < MIN_PASSWORD:
        raise UserError("account.password_short", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise UserError("account.password_long", max=MAX_PASSWORD)
    folded = password.casefold()
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(folded)}
    if folded in COMMON_PASSWORDS or steps in ({1}, {-1}):
        raise UserError("account.password_common")
    if len(name) >= 4 and name.casefold() in folded:
        raise UserError("account.password_name")
    if len(set(folded)) < 4 or any(folded[p:] == folded[:-p]
                                   for p in range(1, len(folded) // 2 + 1)):
        raise UserError("account.password_repeated")


def add(storage: Storage, name: str, role: str, password: str, *, by: audit.Actor,
        district: str | None = None, must_change: bool = False) -> User:
    """A new account, recorded in the audit log as added ``by`` whom (``user-add``);
    ``must_change``: its owner changes the password at the first sign-in (one given out by
    an administrator on the Users page or by ``users add`` on the server; not one its owner
    typed herself, ``users add --own-password``, as the first administrator does)."""
    if not NAME_RE.fullmatch(name):
        raise UserError("account.bad_name", name=repr(name))
    district = _district_for(storage, role, district)
    check_password(password, name)
    with storage._transaction() as tx:
        existing = storage._execute(tx, "SELECT disabled_at FROM users WHERE name = $1",
                                    (name,)).fetchone()
        if existing is not None and existing[0] is not None:  # disabled: enable it
            raise UserError("account.exists_disabled", name=repr(name), login=name)
        if existing is not None:
            raise UserError("account.exists", name=repr(name))
        storage._execute(tx, "INSERT INTO users (name, role, district, password_hash, "
                             "created_at, must_change_password) VALUES ($1, $2, $3, $4, $5, "
                             "$6)", (name, role, district, _argon2()[0].hash(password), _now(),
                                     int(must_change)))
        audit.append_account(storage, "user-add", by=by, subject=_account(name, role, district),
                             tx=tx)
    user = get(storage, name)
    assert user is not None
    return user


def get(storage: Storage, name: str) -> User | None:
    rows = storage._query(f"SELECT {_COLUMNS} FROM users WHERE name = $2", (_now(), name))
    return User(*rows[0]) if rows else None


def all_users(storage: Storage) -> list[User]:
    return [User(*row) for row in storage._query(f"SELECT {_COLUMNS} FROM users ORDER BY name",
                                                 (_now(),))]


def disable(storage: Storage, name: str, *, by: audit.Actor) -> bool:
    """Refuse the user's logins, end their sessions and forget their browsers' device
    cookies; False if unknown or already disabled.

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
        storage._execute(tx, _FORGET_BROWSERS, (name,))
    return disabled is not None


def enable(storage: Storage, name: str, *, by: audit.Actor) -> bool:
    """Take a disabled account back into use (an officer back from leave, a disabling by
    mistake): its logins accepted again with its password as it was; False if it was not
    disabled. Written to the audit log (``user-enable``) with the change. A name is never
    added twice, so this is the only way back for a disabled one."""
    with storage._transaction() as tx:
        account = storage._execute(tx, "SELECT role, district, disabled_at FROM users "
                                       "WHERE name = $1", (name,)).fetchone()
        if account is None:
            raise UserError("account.unknown", name=repr(name))
        if account[2] is None:
            return False
        storage._execute(tx, "UPDATE users SET disabled_at = NULL WHERE name = $1", (name,))
        audit.append_account(storage, "user-enable", by=by,
                             subject=_account(name, account[0], account[1]), tx=tx)
    return True


def set_role(storage: Storage, name: str, role: str, district: str | None = None, *,
             by: audit.Actor) -> bool:
    """Give the account another role or district (an officer moved to another district,
    a tracer who is one no longer); False if it already had them. Its sessions end: a page
    open under the old role shows nothing more of it. Written to the audit log
    (``user-role``: by whom, whose, what it was and became) with the change. Refused
    (UserError) as :func:`add` refuses a role and district, for an unknown account, and
    for the last active administrator given another role (as :func:`disable`)."""
    district = _district_for(storage, role, district)
    with storage._transaction() as tx:
        storage._execute(tx, "UPDATE users SET role = role WHERE role = 'admin' AND "
                             "disabled_at IS NULL", ())
        account = storage._execute(tx, "SELECT role, district, disabled_at FROM users "
                                       "WHERE name = $1", (name,)).fetchone()
        if account is None:
            raise UserError("account.unknown", name=repr(name))
        was_role, was_district, disabled_at = account
        if (was_role, was_district) == (role, district):
            return False
        if (was_role == "admin" and disabled_at is None and role != "admin"
                and storage._execute(tx, "SELECT 1 FROM users WHERE role = 'admin' AND "
                                         "disabled_at IS NULL AND name <> $1 LIMIT 1",
                                     (name,)).fetchone() is None):
            raise UserError("account.last_admin", name=repr(name))
        storage._execute(tx, "UPDATE users SET role = $1, district = $2 WHERE name = $3",
                         (role, district, name))
        audit.append_account(storage, "user-role", by=by, tx=tx, subject=(
            f"{_account(name, was_role, was_district)} → {_account(name, role, district)}"))
        storage._execute(tx, "DELETE FROM web_sessions WHERE user_name = $1", (name,))
    return True


def reset_password(storage: Storage, name: str, password: str, *, by: audit.Actor) -> bool:
    """New password, locks lifted and device cookies revoked (:func:`unlock`), every session
    of the user ended; written
    to the audit log (``user-password``: by whom, whose — never the password) with the
    change. The owner changes it at the next sign-in (:func:`change_password`): the one
    who set it does not know it for good. Whether the account is active: a disabled one
    keeps refusing its logins until :func:`enable`, which the one resetting must be told."""
    check_password(password, name)
    with storage._transaction() as tx:
        account = storage._execute(tx, "UPDATE users SET password_hash = $1, "
                                       "must_change_password = 1 WHERE name = $2 "
                                       "RETURNING role, district, disabled_at",
                                   (_argon2()[0].hash(password), name)).fetchone()
        if account is None:
            raise UserError("account.unknown", name=repr(name))
        _forget_failures(storage, tx, name)
        audit.append_account(storage, "user-password", by=by,
                             subject=_account(name, account[0], account[1]), tx=tx)
        storage._execute(tx, "DELETE FROM web_sessions WHERE user_name = $1", (name,))
    return account[2] is None


def change_password(storage: Storage, name: str, current: str, new: str, *,
                    by: audit.Actor, session_hash: str) -> None:
    """The signed-in owner's own new password, given the current one (UserError if it is
    wrong, or the new one is refused as :func:`check_password` refuses or is the same):
    the one an administrator set stops working, the owner's other sessions end and her
    browsers' device cookies are revoked (this session, ``session_hash``, goes on).
    Written to the audit log (``user-password``, by the owner herself) with the change."""
    row = storage._query("SELECT password_hash FROM users WHERE name = $1", (name,))
    if not row or not _verify(row[0][0], current):
        raise UserError("account.wrong_current")
    check_password(new, name)
    if new == current:
        raise UserError("account.password_same")
    with storage._transaction() as tx:
        account = storage._execute(tx, "UPDATE users SET password_hash = $1, "
                                       "must_change_password = 0 WHERE name = $2 "
                                       "RETURNING role, district",
                                   (_argon2()[0].hash(new), name)).fetchone()
        if account is None:
            raise UserError("account.unknown", name=repr(name))
        audit.append_account(storage, "user-password", by=by,
                             subject=_account(name, *account), tx=tx)
        storage._execute(tx, "DELETE FROM web_sessions WHERE user_name = $1 AND "
                             "id_hash <> $2", (name, session_hash))
        storage._execute(tx, _FORGET_BROWSERS, (name,))


def unlock(storage: Storage, name: str, *, by: audit.Actor) -> bool:
    """Lift the name's locks from every address and its hold, forget its failures, and
    revoke its device cookies (one may be the stranger's, copied: the owner's browser gets a
    new one at her next sign-in; the addresses it signed in from stay known); whether it was
    locked or held. Written to the audit log (``user-unlock``) with the change, locked or
    not: the owner locked out by a stranger signs in again without a new password."""
    with storage._transaction() as tx:
        account = storage._execute(tx, "UPDATE users SET role = role WHERE name = $1 "
                                       "RETURNING role, district", (name,)).fetchone()
        if account is None:
            raise UserError("account.unknown", name=repr(name))
        locked = storage._execute(tx, "SELECT 1 FROM login_failures WHERE name = $1 AND "
                                      "locked_until > $2", (name, _now())).fetchone()
        _forget_failures(storage, tx, name)
        audit.append_account(storage, "user-unlock", by=by, subject=_account(name, *account),
                             tx=tx)
    return locked is not None


_FORGET_BROWSERS = "DELETE FROM login_devices WHERE name = $1"
"""Revoke every device cookie of a name: its browsers are trusted no more."""


def _forget_failures(storage: Storage, tx: Any, name: str) -> None:
    """The name's count from all addresses first, as every transaction takes the name's rows
    (PostgreSQL's row locks: none waits on another in the other order), then its rows with
    something to forget — never one the prune deletes, which would wait on it; then its
    device cookies (:data:`_FORGET_BROWSERS`)."""
    forget = ("UPDATE login_failures SET failures = 0, failed_at = NULL, locked_until = NULL "
              "WHERE name = $1 AND ")
    now = dt.datetime.now(dt.UTC)
    storage._execute(tx, forget + "address = $2", (name, EVERYWHERE))
    storage._execute(tx, forget + "address <> $2 AND (coalesce(failed_at, '') >= $3 OR "
                                  "coalesce(locked_until, '') >= $4)",
                     (name, EVERYWHERE,
                      protocol.format_time(now - dt.timedelta(minutes=WINDOW_MINUTES)),
                      protocol.format_time(now)))
    storage._execute(tx, _FORGET_BROWSERS, (name,))


def authenticate(storage: Storage, name: str, password: str, *, address: str | None,
                 device: str | None = None, now: dt.datetime | None = None) -> User:
    """The user if ``password`` is theirs and the account is usable; UserError otherwise.
    A sign-in is written to the audit log (``sign-in``, from ``address``) with its decision:
    no record, no sign-in. ``device``: the id of the device cookie the browser shows; one
    this name was given and still trusts (:func:`_trusted`, which counts the attempt in it)
    spares the attempt the name's locks and hold — the owner at a new address is not kept
    out for as long as a steady attack lasts, nor by a stranger at her own address.

    The answer never says whether the name exists: an unknown name pays one verify (against
    a hash nobody's password matches) and has its failures counted and its locks like a
    known one, so it is refused alike at the same cost. A lock or hold (UserError
    ``account.locked``, until when) is refused without a verify. The argon2 verify is slow
    and runs outside any transaction, so many attempts on one name overlap; the counts must
    hold for them all:

    - each attempt is counted in the name's count from all addresses *before* its verify,
      by one statement that refuses it once the hold is in force (:func:`_reserve`), and
      forgiven if its password is right: attempts in flight when the cap is reached are
      refused, not verified (before, 200 guesses 40 at a time had 59 verified);
    - each wrong password adds one to its address's count in the database, in one statement
      (:func:`_count_failure`), never by writing back a count read before the verify: 25
      wrong passwords at once from one address are 25 failures, and the MAX_FAILURESth
      locks the name from there;
    - a right password is judged again, with its address's row held, after its verify: a
      lock or hold set meanwhile by overlapping failures refuses it, as does a disabling;
    - a right password forgives only its address's failures counted before it was read:
      the count drops by what it read, and is left as it is when it is lower (a lock or
      another sign-in reset it meanwhile). Failures counted during its verify stay counted,
      so a burst of guesses overlapping the owner's sign-in still reaches the lock. It
      forgives none of the count from all addresses (the owner signing in must not give a
      guesser elsewhere a fresh allowance)."""
    now = now or dt.datetime.now(dt.UTC)
    where = counted_as(address)
    refused = UserError("account.wrong")
    # a name no account can have is not looked up nor counted: PostgreSQL refuses a NUL in
    # text, which failed the login page as the database's fault (review 43 F9)
    if not NAME_RE.fullmatch(name):
        _verify(_argon2()[1], password[:MAX_PASSWORD])
        raise refused
    rows = storage._query(f"SELECT {_COLUMNS}, password_hash FROM users WHERE name = $2",
                          (protocol.format_time(now), name))
    trusted = device is not None and _trusted(storage, name, device, now)
    read = _reserve(storage, name, where, now, trusted)
    if not rows or len(password) > MAX_PASSWORD:
        _verify(_argon2()[1], password[:MAX_PASSWORD])
        _count_failure(storage, name, where, now)
        raise refused
    *fields, stored_hash = rows[0]
    user = User(*fields)
    if not _verify(stored_hash, password):
        _count_failure(storage, name, where, now)
        raise refused
    with storage._transaction() as tx:
        # its reservation forgiven ('*' first, as everywhere: no deadlock with unlock); a
        # no-op write holds the address's row (PostgreSQL's row lock; SQLite's one writer)
        # until the decision below is written
        storage._execute(tx, "UPDATE login_failures SET failures = failures - 1 WHERE name = $1 "
                             "AND address = $2 AND failures > 0 AND failed_at >= $3",
                         (name, EVERYWHERE, protocol.format_time(
                             now - dt.timedelta(minutes=WINDOW_MINUTES))))
        storage._execute(tx, "INSERT INTO login_failures (name, address) VALUES ($1, $2) "
                             "ON CONFLICT (name, address) DO UPDATE SET "
                             "failures = login_failures.failures", (name, where))
        seen = _failures(storage, tx, name, where)
        failures = _check_lock(seen, now, trusted)
        disabled_at = storage._execute(tx, "SELECT disabled_at FROM users WHERE name = $1",
                                       (name,)).fetchone()[0]
        if disabled_at is not None:
            raise refused
        left = failures - read if failures >= read else failures
        # only a trusted browser signs in where a lock is in force: it vouches for itself,
        # not for the address, whose lock and count stay (the stranger at the owner's
        # office gets no fresh allowance from her sign-in)
        lock = seen.locked_until if _in_force(seen.locked_until, now) else None
        storage._execute(tx, "UPDATE login_failures SET failures = $1, locked_until = $2, "
                             "signed_in_at = $3 WHERE name = $4 AND address = $5",
                         (failures if lock else left, lock, protocol.format_time(now), name,
                          where))
        audit.append_account(storage, "sign-in", by=audit.Actor(name, "web", address),
                             subject=_account(name, user.role, user.district), tx=tx)
    return user


@dataclass(frozen=True)
class _Failures:
    """What ``login_failures`` holds of one name, as seen from one address."""

    failures: int
    locked_until: str | None
    held_until: str | None
    signed_in_at: str | None


def _failures(storage: Storage, tx: Any, name: str, address: str) -> _Failures:
    """The name's row for ``address`` and its count from all addresses, read in ``tx`` (or
    outside any transaction when None)."""
    sql = ("SELECT address, failures, locked_until, signed_in_at FROM login_failures "
           "WHERE name = $1 AND address IN ($2, $3)")
    params = (name, address, EVERYWHERE)
    rows = storage._execute(tx, sql, params).fetchall() if tx else storage._query(sql, params)
    here = next((row for row in rows if row[0] == address), (address, 0, None, None))
    held = next((row[2] for row in rows if row[0] == EVERYWHERE), None)
    return _Failures(here[1], here[2], held, here[3])


def _known(seen: _Failures, now: dt.datetime) -> bool:
    """Whether the name signed in from this address within KNOWN_DAYS (no hold applies)."""
    return (seen.signed_in_at is not None and protocol.parse_time(seen.signed_in_at)
            > now - dt.timedelta(days=KNOWN_DAYS))


def _check_lock(seen: _Failures, now: dt.datetime, known_browser: bool = False) -> int:
    """Refuse a name locked from this address, or held against it (UserError
    ``account.locked``, until when); an expired lock is no lock, and the hold does not apply
    to an address the name signed in from within KNOWN_DAYS. Neither applies to a browser
    with a trusted device cookie of the name (``known_browser``): a stranger's guesses from
    the owner's address would otherwise keep her own browser out. The failures counted
    here."""
    if known_browser:
        return seen.failures
    for until in (seen.locked_until, None if _known(seen, now) else seen.held_until):
        if _in_force(until, now):
            raise UserError("account.locked", until=until)
    return seen.failures


def _in_force(until: str | None, now: dt.datetime) -> bool:
    """Whether a lock or hold ending at ``until`` (None: none) still holds at ``now``."""
    return until is not None and protocol.parse_time(until) > now


_COUNT = (
    "INSERT INTO login_failures (name, address, failures, failed_at) VALUES ($1, $2, 1, $3) "
    "ON CONFLICT (name, address) DO UPDATE SET "
    "failures = CASE WHEN login_failures.failed_at < $4 OR login_failures.failed_at IS NULL "
    "THEN 1 WHEN login_failures.failures + 1 >= $5 THEN 0 "
    "ELSE login_failures.failures + 1 END, "
    "locked_until = CASE WHEN login_failures.failed_at >= $4 "
    "AND login_failures.failures + 1 >= $5 THEN $6 ELSE login_failures.locked_until END, "
    "failed_at = CASE WHEN login_failures.failed_at >= $4 THEN login_failures.failed_at "
    "ELSE $3 END")
"""One more wrong password in a count (a name's from one address, or from all): a count whose
first failure is older than its window ($4) starts again at one; the one that reaches the
limit ($5) locks until $6 and starts the count again from nought."""


def counted_as(address: str | None) -> str:
    """The address a client's failures and login attempts are counted under: an IPv6 one's
    /64, which a home or a phone gets whole — its privacy addresses change daily, and a
    guesser holding one has 2^64 to lock from and to try names from; an IPv4 one as itself,
    also when written IPv4-mapped (``::ffff:192.0.2.1``, a dual-stack listener's; its /64
    would be every IPv4 client's); :data:`UNKNOWN` for a client without an address or with
    something else (a forwarded ``*``)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return UNKNOWN
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.IPv6Network((int(ip), 64), strict=False))
    return str(ip)


def _reserve(storage: Storage, name: str, address: str, now: dt.datetime,
             known_browser: bool) -> int:
    """Refuse a name locked from ``address`` or held against it (:func:`_check_lock`), else
    count the attempt in the name's count from all addresses before its verify — the
    ACCOUNT_FAILURESth within WINDOW_MINUTES holds the name for HOLD_MINUTES — by one
    statement that refuses it instead when a hold came into force meanwhile: attempts in
    flight when the cap is reached are refused unverified. The failures counted from
    ``address``."""
    with storage._transaction() as tx:  # its own: not held through the count below
        _prune(storage, tx, now)
    seen = _failures(storage, None, name, address)
    read = _check_lock(seen, now, known_browser)
    with storage._transaction() as tx:
        counted = storage._execute(
            tx, _COUNT + " WHERE $7 OR coalesce(login_failures.locked_until, '') <= $3 "
                         "RETURNING failures",
            (name, EVERYWHERE, *_counting(now, ACCOUNT_FAILURES, HOLD_MINUTES),
             known_browser or _known(seen, now))).fetchone()
    if counted is None:
        raise UserError("account.locked", until=_failures(storage, None, name, address).held_until)
    return read


def _counting(now: dt.datetime, limit: int, minutes: float) -> tuple[str, str, int, str]:
    """:data:`_COUNT`'s $3 to $6 at ``now``: a count of ``limit`` locking for ``minutes``."""
    def at(minutes: float) -> str:
        return protocol.format_time(now + dt.timedelta(minutes=minutes))

    return at(0), at(-WINDOW_MINUTES), limit, at(minutes)


def _count_failure(storage: Storage, name: str, address: str, now: dt.datetime) -> None:
    """One more wrong password for ``name`` from ``address``, added in the database (not a
    count read before the verify, which overlapping failures would each write back as one):
    the MAX_FAILURESth within WINDOW_MINUTES locks the name from the address for
    LOCK_MINUTES (the count from all addresses has it already: :func:`_reserve`)."""
    with storage._transaction() as tx:
        storage._execute(tx, _COUNT, (name, address, *_counting(now, MAX_FAILURES,
                                                                LOCK_MINUTES)))


def _trusted(storage: Storage, name: str, device: str, now: dt.datetime) -> bool:
    """Whether ``device`` is a device cookie ``name`` was given within DEVICE_DAYS, not
    revoked, with fewer than DEVICE_FAILURES attempts counted in it; if so this attempt is
    counted in it before its verify, by the one statement that decides, so attempts made at
    once with one copied cookie are trusted DEVICE_FAILURES times in all. A right password
    replaces the cookie (:func:`remember_browser`); a wrong one stays counted."""
    with storage._transaction() as tx:
        return storage._execute(
            tx, "UPDATE login_devices SET failures = failures + 1 WHERE id_hash = $1 AND "
                "name = $2 AND failures < $3 AND issued_at > $4 RETURNING failures",
            (_device_hash(device), name, DEVICE_FAILURES,
             protocol.format_time(now - dt.timedelta(days=DEVICE_DAYS)))).fetchone() is not None


def remember_browser(storage: Storage, name: str, *, replacing: str | None,
                     now: dt.datetime | None = None) -> str:
    """The id of a new device cookie for the browser that just signed in as ``name``, kept
    as its SHA-256 (a copy of the database trusts no browser); the cookie it showed
    (``replacing``) forgotten, so each sign-in starts a fresh count and a copy taken before
    is no longer trusted. Cookies over DEVICE_DAYS old are forgotten here too."""
    now = now or dt.datetime.now(dt.UTC)
    device = secrets.token_urlsafe(32)
    with storage._transaction() as tx:  # its own: holding no row while it waits on others
        storage._execute(tx, "DELETE FROM login_devices WHERE issued_at <= $1",
                         (protocol.format_time(now - dt.timedelta(days=DEVICE_DAYS)),))
    with storage._transaction() as tx:
        storage._execute(tx, "DELETE FROM login_devices WHERE id_hash = $1",
                         (_device_hash(replacing or ""),))
        storage._execute(tx, "INSERT INTO login_devices (id_hash, name, issued_at) "
                             "VALUES ($1, $2, $3)",
                         (_device_hash(device), name, protocol.format_time(now)))
    return device


def _device_hash(device: str) -> str:
    return hashlib.sha256(device.encode()).hexdigest()


_PRUNE = ("DELETE FROM login_failures WHERE coalesce(failed_at, '') < $1 "
          "AND coalesce(locked_until, '') < $2 AND coalesce(signed_in_at, '') < $3")
"""Rows with nothing left to tell; found by the index login_failures_stale (schema v36)."""


def _prune(storage: Storage, tx: Any, now: dt.datetime) -> None:
    """Forget the rows with nothing left to tell — no failure within WINDOW_MINUTES, no lock
    in force, no sign-in within KNOWN_DAYS — at every attempt: an address is kept no longer
    than that (docs/privacy.md)."""
    def at(delta: dt.timedelta) -> str:
        return protocol.format_time(now - delta)

    storage._execute(tx, _PRUNE,
                     (at(dt.timedelta(minutes=WINDOW_MINUTES)), at(dt.timedelta()),
                      at(dt.timedelta(days=KNOWN_DAYS))))


def _verify(stored_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _argon2()[0].verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _now() -> str:
    return protocol.format_time(dt.datetime.now(dt.UTC))
