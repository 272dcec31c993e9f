"""One verdict per HC1 scan: is the certificate genuine, current, and what does it certify.

Checked in this order, the first failure deciding: it unpacks; a trust list is held; its
key id is in the list; the signature verifies with that signer's key; the signer may sign
this kind; it is not a positive test; the kiosk's clock is within the CWT's ``nbf``/``iat``
… ``exp``; the trust list is not older than allowed. A certificate whose signature cannot
be checked is never called valid, and what it claims is still shown (marked unchecked).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.certificates import cose, facts
from kiosk.messages import both

if TYPE_CHECKING:
    from kiosk.certificates.trustlist import TrustList

log = logging.getLogger(__name__)
# ``signature`` and ``trustlist`` (cryptography, asn1crypto: ~40 ms to import) are imported
# where first needed, so a kiosk command that never meets an HC1 code does not pay for them.

VALID = "valid"
EXPIRED = "expired"
NOT_YET_VALID = "not_yet_valid"
TRUST_LIST_STALE = "trust_list_stale"
NO_TRUST_LIST = "no_trust_list"
UNKNOWN_ISSUER = "unknown_issuer"
BAD_SIGNATURE = "bad_signature"
WRONG_KIND = "wrong_kind"
POSITIVE_TEST = "positive_test"
UNREADABLE = "unreadable"

STATUSES = (VALID, EXPIRED, NOT_YET_VALID, TRUST_LIST_STALE, NO_TRUST_LIST, UNKNOWN_ISSUER,
            BAD_SIGNATURE, WRONG_KIND, POSITIVE_TEST, UNREADABLE)
GOOD, WARN, BAD = "good", "warn", "bad"
SEVERITY = {
    VALID: GOOD,
    EXPIRED: WARN, NOT_YET_VALID: WARN, TRUST_LIST_STALE: WARN, NO_TRUST_LIST: WARN,
    UNKNOWN_ISSUER: BAD, BAD_SIGNATURE: BAD, WRONG_KIND: BAD, POSITIVE_TEST: BAD,
    UNREADABLE: BAD,
}
"""good: green card; warn: the signature holds or could not be checked, amber; bad: red."""
PROVES_NOTHING = frozenset({UNKNOWN_ISSUER, BAD_SIGNATURE, WRONG_KIND, UNREADABLE})
"""Bad because the certificate is forged, altered, damaged or from a signer that may not issue
it: it says nothing about its holder, so the officer checks the person's other documents. (The
other bad verdict, a positive test, is genuine: what it says is the news.)"""
SIGNATURE_VERIFIED = frozenset({VALID, EXPIRED, NOT_YET_VALID, TRUST_LIST_STALE, WRONG_KIND,
                                POSITIVE_TEST})


@dataclass(frozen=True)
class Verdict:
    status: str
    detail: str = ""
    """English technical reason, for logs and the technician."""
    kind: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    issuer: str | None = None
    """The CWT ``iss`` claim: the issuing country as the certificate states it."""
    signer_country: str | None = None
    """The country of the trust-list entry whose key verified the signature."""
    kid: str | None = None
    issued_at: str | None = None
    expires_at: str | None = None
    checked_at: str = ""

    @property
    def severity(self) -> str:
        return SEVERITY[self.status]

    @property
    def valid(self) -> bool:
        return self.status == VALID

    @property
    def proves_nothing(self) -> bool:
        """Forged, altered, damaged or unfit: the officer checks other documents."""
        return self.status in PROVES_NOTHING

    @property
    def signature_verified(self) -> bool:
        """The signature was checked and holds (whatever else is wrong)."""
        return self.status in SIGNATURE_VERIFIED

    def to_record(self) -> dict[str, Any]:
        """JSON-ready, stored with the entry and sent to the centre."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "", {})}


class Checker:
    """Holds the kiosk's trust list and checks certificates against it; thread-safe.

    With a ``path``, the file is looked at (one ``stat``) before each check and read again
    when it changed, so a list imported by the technician or fetched by the sync applies from
    the next scan without a restart. A file that cannot be read keeps the list in use (and
    logs why). A list is swapped by one attribute assignment: a scan in progress finishes
    with the list it started with.
    """

    def __init__(self, trust_list: TrustList | None = None, *,
                 max_age: dt.timedelta | None = None, path: Path | None = None) -> None:
        self.trust_list = trust_list
        self.max_age = max_age
        self.path = path
        self._seen: tuple[int, int, int] | None = None

    def reload_if_changed(self) -> None:
        from kiosk.certificates import trustlist

        assert self.path is not None
        try:
            stat = self.path.stat()
        except OSError:
            return
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # a saved list is a new inode
        if seen == self._seen:
            return
        self._seen = seen
        try:
            self.trust_list = trustlist.load(self.path)
        except trustlist.TrustListError as exc:
            log.error("%s", both("certificates.log.not_reloaded", reason=exc))

    def check(self, text: str, now: float, *, started_by: float | None = None,
              surely_past: float | None = None) -> Verdict:
        if self.path is not None:
            self.reload_if_changed()
        return check(text, self.trust_list, now=now, started_by=started_by,
                     surely_past=surely_past, max_age=self.max_age)


def check(text: str, trust_list: TrustList | None, *, now: float,
          started_by: float | None = None, surely_past: float | None = None,
          max_age: dt.timedelta | None = None) -> Verdict:
    """The verdict on ``HC1:…`` text at Unix time ``now`` (the kiosk's clock).

    ``started_by``: a time the real one is known to be past (the release, the kiosk's newest
    entry): a certificate starting before it is not "not yet valid", however far behind the
    clock is (a flat RTC battery boots at 1970). Only that side: expiry goes by ``now``, as a
    time remembered from a clock once ahead would call valid certificates expired — or by
    ``surely_past``, a time remembered from no clock (the release): a certificate that
    expired before it is expired at 1970 too."""
    try:
        message = cose.unpack(text)
    except cose.UnpackError as exc:
        return Verdict(UNREADABLE, exc.words("en"), checked_at=_iso(now) or "")
    return judge(message, trust_list, now=now, started_by=started_by,
                 surely_past=surely_past, max_age=max_age)


def judge(message: cose.Sign1, trust_list: TrustList | None, *, now: float,
          started_by: float | None = None, surely_past: float | None = None,
          max_age: dt.timedelta | None = None) -> Verdict:
    """The verdict on an unpacked COSE_Sign1 message (see ``check``)."""
    checked_at = _iso(now) or ""
    try:
        claims = cose.claims(message)
    except cose.UnpackError as exc:
        return Verdict(UNREADABLE, exc.words("en"), checked_at=checked_at)
    read = facts.read(claims.certificate)
    kid = base64.b64encode(message.kid).decode("ascii") if message.kid else None
    common = {
        "kind": read.kind, "facts": _facts_record(read), "issuer": claims.issuer, "kid": kid,
        "issued_at": _iso(claims.issued_at), "expires_at": _iso(claims.expires_at),
        "checked_at": checked_at,
    }
    if trust_list is None:
        return Verdict(NO_TRUST_LIST, "no trust list loaded: signature not checked", **common)
    from kiosk.certificates import signature, trustlist

    candidates = trust_list.find(message.kid)
    if not candidates:
        return Verdict(UNKNOWN_ISSUER, f"key id {kid or '(none)'} is not in the trust list "
                       f"({len(trust_list)} signers)", **common)
    problems, unusable = [], []
    for signer in candidates:
        try:
            problem = signature.problem(message, signer.public_key)
        except trustlist.TrustListError as exc:  # a damaged entry in the kiosk's own file
            unusable.append(f"the trust list's entry for key id {kid} is unusable: {exc}")
            continue
        if problem is None:
            break
        problems.append(problem)
    else:
        if not problems:  # as if absent: the kiosk cannot know this issuer
            return Verdict(UNKNOWN_ISSUER, "; ".join(unusable), **common)
        return Verdict(BAD_SIGNATURE, "; ".join(dict.fromkeys(problems)), **common)
    common["signer_country"] = signer.country or None
    if signer.usages is not None and not set(read.kinds) <= signer.usages:
        return Verdict(WRONG_KIND, f"signer {kid} may sign {', '.join(sorted(signer.usages))}, "
                       f"not {', '.join(read.kinds) or 'an empty certificate'}", **common)
    if read.positive_test:
        return Verdict(POSITIVE_TEST, "test result: detected", **common)
    starts = claims.not_before if claims.not_before is not None else claims.issued_at
    if starts is not None and max(now, started_by or now) < starts:
        return Verdict(NOT_YET_VALID, f"valid from {_iso(starts)}, kiosk clock {checked_at}",
                       **common)
    if claims.expires_at is not None and max(now, surely_past or now) > claims.expires_at:
        return Verdict(EXPIRED, f"expired {common['expires_at']}, kiosk clock {checked_at}",
                       **common)
    at = dt.datetime.fromtimestamp(now, dt.UTC)
    if max_age is not None and trust_list.too_old(max_age, at):
        age = trust_list.age(at)
        imported = (f"{age.days} days ago" if age is not None else
                    f"at {trust_list.imported_at.astimezone(dt.UTC):%Y-%m-%d %H:%M}Z by a "
                    "wrong clock, age unknown")
        return Verdict(TRUST_LIST_STALE, f"trust list imported {imported} (at most "
                       f"{max_age.days} days allowed): import it again", **common)
    return Verdict(VALID, **common)


MAX_FACT_CHARS = 200
"""A fact longer than this is cut: a certificate's text is the issuer's (or a forger's), and
the verdict must stay well inside what an entry may carry to the centre."""


def _facts_record(read: facts.Facts) -> dict[str, Any]:
    record = {"name": read.name, "birth_date": read.birth_date, **read.details}
    if len(read.kinds) > 1:
        record["kinds"] = list(read.kinds)
    return {k: v[:MAX_FACT_CHARS] if isinstance(v, str) else v
            for k, v in record.items() if v not in (None, "")}


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    try:
        return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):  # a claim far outside any calendar
        return None
