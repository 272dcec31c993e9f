"""Dashboard sessions and CSRF tokens.

The session cookie holds a random id signed with the centre's secret (HttpOnly, SameSite=
Strict, Secure when served over HTTPS); the database keeps only the id's SHA-256, so a copy of
the database does not let anyone in. A session ends at logout, when the user is disabled or
their password reset, after :data:`IDLE_MINUTES` without a request of the user's own, and
after :data:`MAX_HOURS` in any case. A page's automatic reload (:data:`AUTOMATIC`) is not the
user's: a screen left on Today, which reloads itself every minute, is signed out all the same.

CSRF: a signed-in user's forms carry HMAC(secret, the session id's hash): a token only the
server can make, for that session only, which ends with it. Before signing in, the login form
carries HMAC(secret, a random ``kc_csrf`` cookie); that pair anyone can fetch from /login, so
it is good for the login form only — a cookie planted by a page on another port of the same
host or on a sibling domain cannot open any signed-in form. The other checks on a POST (its
``Origin`` / ``Sec-Fetch-Site``, a cookie sent twice) are in :mod:`kiosk.central.web.site`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer, TimestampSigner

from kiosk.central.storage import Storage
from kiosk.central.web.users import DEVICE_DAYS, User, get
from kiosk.sync import protocol

SESSION_COOKIE = "kc_session"
CSRF_COOKIE = "kc_csrf"
DEVICE_COOKIE = "kc_device"
CSRF_FIELD = "csrf_token"
IDLE_MINUTES = 60
MAX_HOURS = 12
TOUCH_SECONDS = 60
AUTOMATIC = "auto"
"""The query parameter (``?auto=1``) marking a page's own reload, not a user's request: it is
answered without counting as activity (the session's last-seen time is left as it was)."""
"""A session's last-seen time is written at most this often (not on every page view)."""


def secret(storage: Storage) -> bytes:
    """The centre's signing secret, made on first use and shared by every serve process."""
    return storage.secret("web_secret")


@dataclass(frozen=True)
class Session:
    id_hash: str
    user: User


class Sessions:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.key = secret(storage)
        self._signer = Signer(self.key, salt="kiosk-central session")
        # a new salt: the cookies of before (the name signed, for ever) are no longer valid
        self._device = TimestampSigner(self.key, salt="kiosk-central device id")

    # -- sessions -------------------------------------------------------------------------
    def start(self, user: User) -> str:
        """A new session for ``user``; the signed cookie value."""
        session_id = secrets.token_urlsafe(32)
        now = _now()
        with self.storage._transaction() as tx:
            self.storage._execute(tx, "INSERT INTO web_sessions (id_hash, user_name, "
                                      "created_at, last_seen_at) VALUES ($1, $2, $3, $4)",
                                  (_hash(session_id), user.name, now, now))
        return self._signer.sign(session_id).decode()

    def find(self, cookie: str | None, *, now: dt.datetime | None = None,
             activity: bool = True) -> Session | None:
        """The live session behind a cookie value, or None (unsigned, ended, expired, or its
        user disabled). Unless ``activity`` is False (a page's automatic reload), the request
        counts as the user's: their idle time starts again."""
        if not cookie:
            return None
        try:
            session_id = self._signer.unsign(cookie).decode()
        except BadSignature:
            return None
        id_hash = _hash(session_id)
        rows = self.storage._query("SELECT user_name, created_at, last_seen_at FROM "
                                   "web_sessions WHERE id_hash = $1", (id_hash,))
        if not rows:
            return None
        name, created, seen = rows[0]
        now = now or dt.datetime.now(dt.UTC)
        created_at, seen_at = protocol.parse_time(created), protocol.parse_time(seen)
        user = get(self.storage, name)
        if (user is None or not user.active or created_at is None or seen_at is None
                or now - created_at > dt.timedelta(hours=MAX_HOURS)
                or now - seen_at > dt.timedelta(minutes=IDLE_MINUTES)):
            self.end_hash(id_hash)
            return None
        if activity and (now - seen_at).total_seconds() > TOUCH_SECONDS:
            with self.storage._transaction() as tx:
                self.storage._execute(tx, "UPDATE web_sessions SET last_seen_at = $1 "
                                          "WHERE id_hash = $2", (protocol.format_time(now),
                                                                id_hash))
        return Session(id_hash, user)

    # -- device cookies -------------------------------------------------------------------
    def device_cookie(self, device: str) -> str:
        """The cookie a browser gets at a sign-in: the random id it is known by
        (:func:`kiosk.central.web.users.remember_browser`, OWASP's device cookie) and when it
        was signed."""
        return self._device.sign(device).decode()

    def device_id(self, cookie: str | None) -> str | None:
        """The id in a device cookie; None if none, forged, or signed over DEVICE_DAYS ago
        (whatever the browser keeps: the centre decides)."""
        try:
            return (self._device.unsign(cookie, max_age=DEVICE_DAYS * 24 * 3600).decode()
                    if cookie else None)
        except BadSignature:  # SignatureExpired included
            return None

    def end_hash(self, id_hash: str) -> None:
        with self.storage._transaction() as tx:
            self.storage._execute(tx, "DELETE FROM web_sessions WHERE id_hash = $1", (id_hash,))

    # -- CSRF -----------------------------------------------------------------------------
    def csrf_token(self, session: Session) -> str:
        """The token of a signed-in user's forms: bound to the session, not to a cookie
        another page could set."""
        return self._mac(b"csrf-session:" + session.id_hash.encode())

    def login_token(self, csrf_cookie: str) -> str:
        """The token of the login form shown to a visitor not signed in."""
        return self._mac(b"csrf-login:" + csrf_cookie.encode())

    def csrf_valid(self, session: Session | None, csrf_cookie: str | None, submitted: object,
                   *, login: bool = False) -> bool:
        """Whether ``submitted`` is the session's token; for the login form (``login``),
        also the ``kc_csrf`` cookie's."""
        if not isinstance(submitted, str):
            return False
        expected = [self.csrf_token(session)] if session is not None else []
        if login and csrf_cookie:
            expected.append(self.login_token(csrf_cookie))
        return any(hmac.compare_digest(token, submitted) for token in expected)

    def _mac(self, message: bytes) -> str:
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(32)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _now() -> str:
    return protocol.format_time(dt.datetime.now(dt.UTC))
