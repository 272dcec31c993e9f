"""The trust list: document signer certificates (DSCs) by key id, held on the kiosk.

Read from the formats national backends and the EU DCC gateway publish:

- the gateway's ``/trustList/DSC`` answer: a JSON array of ``{"kid", "country",
  "certificateType", "rawData", …}`` (base64 DER in ``rawData``);
- a national backend's DSC list: ``{"certificates": [ …same items… ]}``, possibly preceded by
  a line holding the backend's signature over it (not checked: the kiosk holds no backend
  key; the list arrives from the technician or the token-authenticated centre);
- PEM certificates: one file, or a folder of ``*.pem`` / ``*.crt`` / ``*.cer`` files;
- this module's own file (``save``): the gateway array plus when it was imported.

A key id missing from an item is the first 8 bytes of the SHA-256 of the certificate, as the
gateway computes it. Certificates are parsed with asn1crypto, which accepts the small DER
slips real DSCs carry (``cryptography`` refuses a BasicConstraints that spells out its
default, found in the Finnish test DSCs); the public key is then loaded by ``cryptography``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import load_der_public_key

from kiosk.certificates.signature import PublicKey
from kiosk.json_depth import nested_too_deep
from kiosk.messages import WordedError, Words, os_words
from kiosk.private_files import replace_file

FILE_FORMAT = "checkpoint-kiosk-trust-list/1"
MAX_FILE_BYTES = 32 * 1024 * 1024
"""The EU list held ~600 DSCs (~1 MB); anything far larger is not a trust list."""
PEM_SUFFIXES = (".pem", ".crt", ".cer")

# Extended key usage OIDs of a DSC that restrict what it may sign (hcert §5.1.1), each in
# the official form and the form with a stray ".0." that early DSCs were issued with.
_USAGE_OIDS = {
    f"1.3.6.1.4.1.{infix}1847.2021.1.{n}": kind
    for infix in ("", "0.") for n, kind in (("1", "test"), ("2", "vaccination"),
                                              ("3", "recovery"))
}


class TrustListError(WordedError, ValueError):
    """A file that is not a trust list, for the technician who gave it (``trust.*``)."""


@dataclass(frozen=True)
class Certificate:
    """What the kiosk uses of a DSC."""

    public_key: PublicKey
    subject: str
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    usages: frozenset[str] | None
    """Certificate kinds it may sign; None when it does not restrict them."""
    country: str


@dataclass(frozen=True)
class Signer:
    """One document signer: the key that signs certificates and what it may sign.

    Its certificate is parsed when first needed: the kiosk's own file (checked when it was
    imported) loads in milliseconds however many signers it holds — parsing the EU's ~600
    DSCs takes about half a second, which the first certificate scan would otherwise wait.
    """

    kid: bytes
    country: str
    der: bytes

    @cached_property
    def certificate(self) -> Certificate:
        """Raises TrustListError when ``der`` is not a usable DSC."""
        return parse_certificate(self.der)

    @property
    def public_key(self) -> PublicKey:
        return self.certificate.public_key

    @property
    def usages(self) -> frozenset[str] | None:
        return self.certificate.usages

    @property
    def kid_b64(self) -> str:
        return base64.b64encode(self.kid).decode("ascii")


AHEAD_SLACK = dt.timedelta(minutes=5)
"""How much later than the clock reads a list's import time may be and the list still count
as just imported, not stamped by a clock that ran ahead: a scan read a moment before the
refresh saved the list is judged after it, and NTP steps a clock back by seconds."""


DATE_AHEAD = dt.timedelta(days=366)
"""How far ahead of this kiosk's clock the centre's ``Date`` may be and still be taken as
the centre's clock (a kiosk booted at its last shutdown time is behind by its time off);
a Date further ahead is taken as none."""


BOOT_RANGE = 1e10
"""How far from zero (seconds, ~317 years) a recorded :attr:`Boot.counted_from` may be: one
further off is a hand edit, taken as no record (its age would overflow)."""


@dataclass(frozen=True)
class Boot:
    """Where a fetched list's age began on the clock that has run since this kiosk booted
    (``CLOCK_BOOTTIME``, suspends included, :func:`kiosk.clock.since_boot`), which no step of
    the wall clock moves: NTP setting a clock that was behind at arrival, a clock that jumps
    ahead, a clock set back by hand. Read only within the boot it was recorded in."""

    id: str
    """The boot's id (``/proc/sys/kernel/random/boot_id``)."""
    counted_from: float
    """Seconds since that boot began at which the list's age was zero: its arrival less its
    age then (:meth:`TrustList.age_at_arrival`); below zero for a list older than the boot."""

    def to_json(self) -> dict[str, str | float]:
        return {"id": self.id, "counted_from": self.counted_from}

    def age(self) -> dt.timedelta | None:
        """The list's age now by this boot's clock; None in another boot (or where that clock
        is missing), or for a record this boot's clock has not reached yet (a hand edit:
        the arrival was no later than now)."""
        from kiosk.clock import since_boot

        reading = since_boot()
        if reading is None or reading[0] != self.id or reading[1] < self.counted_from:
            return None
        return dt.timedelta(seconds=reading[1] - self.counted_from)


@dataclass(frozen=True)
class Fetched:
    """How a list fetched from the centre came to this kiosk: the centre's import time is
    on the centre's clock, so its age here is counted from this, never by comparing that
    time with this kiosk's clock (a kiosk clock behind the centre's would make a list just
    fetched look imported by a clock ahead)."""

    at: dt.datetime
    """This kiosk's clock when the list arrived."""
    centre_time: dt.datetime | None
    """The centre's clock then (its answer's ``Date``); None when it sent none."""
    etag: str
    """The centre's ETag of what it sent: asked with ``If-None-Match`` at the next fetch."""
    boot: Boot | None = None
    """Where its age began on this boot's clock (:meth:`TrustList.age`); None when its age
    at arrival was unknown, or it was recorded by an older version."""

    def to_json(self) -> dict[str, Any]:
        boot = {} if self.boot is None else {"boot": self.boot.to_json()}
        return {"at": _iso(self.at), "etag": self.etag,
                "centre_time": None if self.centre_time is None else _iso(self.centre_time),
                **boot}

    def centre_clock(self) -> dt.datetime | None:
        """The centre's clock when the list arrived, when its ``Date`` may be right: None
        when it sent none, or one before :data:`kiosk.clock.FIRST_SCANS` or more than
        :data:`DATE_AHEAD` ahead of this kiosk's clock at arrival (a proxy's or a glitching
        clock's, a forged header: its year 9999 overflowed the age)."""
        from kiosk.clock import clock_wrong_then

        when = self.centre_time
        if when is None or clock_wrong_then(when) or when - self.at > DATE_AHEAD:
            return None
        return when

    def behind(self) -> bool:
        """Whether this kiosk's clock was behind the centre's when the list arrived: the
        only case its ``Date`` counts in the age (which it then can only make older: by
        how far behind, the step NTP adds when it sets the clock right)."""
        centre = self.centre_clock()
        return centre is not None and centre > self.at

    def ahead(self) -> bool:
        """Whether this kiosk's clock was ahead of the centre's ``Date``, by more than
        :data:`AHEAD_SLACK`, when the list arrived: the arrival's time then says nothing of
        the list's age (taken as the import plus the clock's error, or an answer replayed
        with an old Date), kept by the clock since boot (:class:`Boot`) only until an
        answer shows the clock set right (``kiosk.certificates.refresh``)."""
        centre = self.centre_clock()
        return centre is not None and self.at - centre > AHEAD_SLACK

    def clock_wrong(self) -> bool:
        """Whether this kiosk's clock was surely wrong when the list arrived: before
        :func:`kiosk.clock.clock_wrong_then`, or ahead, by more than :data:`AHEAD_SLACK`, of
        the clock as it reads now while that may be right (the next fetch then asks for the
        whole list again, not whether it changed)."""
        from kiosk.clock import clock_wrong_then

        now = dt.datetime.now(dt.UTC)
        return clock_wrong_then(self.at) or (
            not clock_wrong_then(now) and self.at - now > AHEAD_SLACK)


@dataclass(frozen=True)
class TrustList:
    signers: dict[bytes, tuple[Signer, ...]]
    """Key id → signers (several countries may, rarely, share a key id)."""
    imported_at: dt.datetime
    """When this list was taken from its source: what its age is counted from."""
    source: str = ""
    skipped: tuple[Words, ...] = field(default=())
    """Items that could not be used, each with the reason (shown by ``status``)."""
    fetched: Fetched | None = None
    """How it came from the centre; None for a list imported here (``imported_at`` then is
    this kiosk's clock)."""

    def __len__(self) -> int:
        return sum(len(s) for s in self.signers.values())

    def find(self, kid: bytes | None) -> tuple[Signer, ...]:
        return self.signers.get(kid, ()) if kid else ()

    def counted_from(self) -> dt.datetime:
        """The moment, on this kiosk's clock as it reads now, its age is counted from. For a
        list fetched in this boot, now less its age by the boot's clock (:meth:`age`).
        Otherwise its import time (:attr:`imported_at`), as before, for a list imported here
        and for one from the centre — a ``Date`` never makes a list younger (a replayed or
        cached answer's Date close to the import would make a list days old look just
        imported). Only when this kiosk's clock was behind the centre's at arrival
        (:meth:`Fetched.behind`: a Pi booted at its last shutdown time) the centre's age of
        it then is counted too: from its arrival less how old it was by the centre's clock
        (the answer's ``Date`` less the centre's import time), or its import time when that
        is earlier. A refresh answered "unchanged" records the arrival anew, so after a
        reboot a clock set right since stops aging it by the step at the next refresh."""
        by_boot = self._boot_age()
        if by_boot is not None:
            return dt.datetime.now(dt.UTC) - by_boot
        return self._by_clocks(self.fetched is not None and self.fetched.clock_wrong())

    def _by_clocks(self, clock_wrong: bool) -> dt.datetime:
        """:meth:`counted_from` by the recorded times alone, the kiosk's clock at arrival
        taken as ``clock_wrong``."""
        fetched = self.fetched
        if fetched is None or not fetched.behind() or clock_wrong:
            return self.imported_at
        centre = fetched.centre_clock()
        assert centre is not None
        try:
            by_date = fetched.at - max(centre - self.imported_at, dt.timedelta())
        except OverflowError:  # an import time centuries before the Date: surely wrong
            return self.imported_at
        return min(by_date, self.imported_at)

    def age_at_arrival(self) -> dt.timedelta | None:
        """How old a list from the centre was when it arrived, by the rule of
        :meth:`counted_from` with the clock as it read then; None when unknown (imported
        here; this kiosk's clock read 1970 then, or was behind the centre's with no usable
        ``Date``)."""
        from kiosk.clock import age_of, clock_wrong_then

        fetched = self.fetched
        if fetched is None:
            return None
        return age_of(self._by_clocks(clock_wrong_then(fetched.at)), fetched.at)

    def _boot_age(self, now: dt.datetime | None = None) -> dt.timedelta | None:
        """Its age at ``now`` (else the clock now) by this boot's clock since it arrived plus
        its age then (:class:`Boot`): no step of the wall clock since the arrival moves it,
        forward (NTP setting a clock that was behind, a clock jumping ahead) or back (a
        hostile hand). ``now``, a scan's time, is taken back from the clock now on the wall
        clock (a scan read a moment before). None without a record of this boot; below zero
        for a ``now`` before the list arrived."""
        fetched = self.fetched
        age = None if fetched is None or fetched.boot is None else fetched.boot.age()
        if age is None or now is None:
            return age
        return age - (dt.datetime.now(dt.UTC) - now)

    def _two_clocks(self) -> bool:
        """Whether its age mixes the centre's clock with this kiosk's: from the centre,
        without a usable ``Date`` or stamped by this kiosk's clock while wrong."""
        fetched = self.fetched
        return fetched is not None and (fetched.centre_clock() is None
                                        or fetched.clock_wrong())

    def age(self, now: dt.datetime | None = None) -> dt.timedelta | None:
        """How long ago it was imported (:meth:`counted_from`), at ``now`` (else the clock
        now): by this boot's clock when it was fetched in this boot (:meth:`_boot_age`), else
        by the times recorded. None when that is later, or the clock was wrong then
        (:func:`kiosk.clock.age_of`)."""
        from kiosk.clock import age_of

        by_boot = self._boot_age(now)
        if by_boot is not None:
            return by_boot if by_boot >= dt.timedelta() else None
        return age_of(self.counted_from(), now)

    def wrong_clock(self, now: dt.datetime | None = None) -> str | None:
        """Whose clock was surely wrong at its import, making :meth:`too_old` call it too old
        whatever its age: ``"import"`` (this kiosk's, at its import here: import it again),
        ``"centre"`` (the centre's, at its import there: import it again there); None when
        no clock was surely wrong then. ``now``: as for :meth:`too_old`."""
        from kiosk.clock import age_of, clock_wrong_then

        fetched = self.fetched
        if fetched is not None:
            centre = fetched.centre_clock()
            ahead = centre is not None and self.imported_at - centre > AHEAD_SLACK
            return "centre" if clock_wrong_then(self.imported_at) or ahead else None
        at = dt.datetime.now(dt.UTC) if now is None else now
        # ahead of the clock as it reads now, not of ``now`` (a scan's time, which an import
        # made after the scan was read is rightly later than)
        ahead = (age_of(self.imported_at, at) is None and not clock_wrong_then(at)
                 and self.imported_at - dt.datetime.now(dt.UTC) > AHEAD_SLACK)
        return "import" if clock_wrong_then(self.imported_at) or ahead else None

    def too_old(self, max_age: dt.timedelta, now: dt.datetime | None = None) -> bool | None:
        """Whether it is older than ``max_age`` at ``now`` (else the clock now), counted on
        this kiosk's clock (:meth:`counted_from`). A list imported while the clock was wrong
        may be of any age, missing every signer revoked since: too old, until it is imported
        again with the clock right (:meth:`wrong_clock`). Wrong then: before
        :func:`kiosk.clock.clock_wrong_then` (a flat RTC battery's 1970), or later than
        ``now`` and than the clock as it reads now, by more than :data:`AHEAD_SLACK` (the
        clock ran ahead at the import: a list stamped 2056 would otherwise be "age unknown,
        still used" for thirty years; a list imported after a scan was read, later than
        the scan's time, is just current). For a list from the centre the clock is the
        centre's: before that bound, or ahead of the centre's own ``Date`` when it sent the
        list; this kiosk's clock behind the centre's ages nothing. A list from the centre
        aged by this boot's clock (:meth:`_boot_age`) is too old or not by that alone, the
        wall clock set right, ahead or back since, even to 1970. Else None when ``now`` is
        the wrong one (the clock reads 1970 now): how old it is is unknown, the checks still use
        it, and the screens say the clock is wrong; None too for a list from the centre
        whose age mixes two clocks (:meth:`counted_from`) and begins later than now."""
        from kiosk.clock import clock_wrong_then

        at = dt.datetime.now(dt.UTC) if now is None else now
        if self.wrong_clock(at) is not None:
            return True
        by_boot = self._boot_age(now)
        if by_boot is not None:  # known whatever the clock reads now, 1970 included
            return by_boot > max_age
        age = self.age(at)
        if age is None:  # later than ``at``
            return None if clock_wrong_then(at) or self._two_clocks() else False
        return age > max_age

    def check_all(self) -> None:
        """Parse every signer's certificate now; TrustListError names the first unusable one
        (for a list that arrived from elsewhere in this module's own, unparsed format)."""
        for signers in self.signers.values():
            for signer in signers:
                try:
                    signer.certificate  # noqa: B018 — parsed and cached
                except TrustListError as exc:
                    raise TrustListError("trust.in_source_key", source=self.source,
                                         kid=signer.kid_b64, problem=exc.words) from None

    def countries(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for signers in self.signers.values():
            for signer in signers:
                counts[signer.country] = counts.get(signer.country, 0) + 1
        return dict(sorted(counts.items()))

    def to_json(self) -> bytes:
        """This module's file: the gateway's item format plus import time and source."""
        items = [{"kid": s.kid_b64, "country": s.country, "certificateType": "DSC",
                  "rawData": base64.b64encode(s.der).decode("ascii")}
                 for signers in self.signers.values() for s in signers]
        fetched = {} if self.fetched is None else {"fetched": self.fetched.to_json()}
        return json.dumps({"format": FILE_FORMAT, "imported_at": _iso(self.imported_at),
                           "source": self.source, **fetched, "trustList": items},
                          indent=1, ensure_ascii=False).encode("utf-8")


def etag(data: bytes) -> str:
    """The strong HTTP ETag of a trust list file's bytes: what the centre serves it under and
    what a kiosk compares its own copy with."""
    return '"' + hashlib.sha256(data).hexdigest() + '"'


def signer_from_der(der: bytes, kid: bytes | None = None, country: str = "") -> Signer:
    """A Signer from a DER certificate, checked now; raises TrustListError when it is not one.
    Without ``kid`` it is the first 8 bytes of the certificate's SHA-256 (as the gateway's)."""
    signer = Signer(kid=kid or hashlib.sha256(der).digest()[:8], country=country, der=der)
    found = signer.certificate
    if country or not found.country:
        return signer
    return Signer(kid=signer.kid, country=found.country, der=der)


def parse_certificate(der: bytes) -> Certificate:
    try:
        cert = asn1_x509.Certificate.load(der, strict=True)
        public_key = load_der_public_key(cert.public_key.dump())
        subject = cert.subject.human_friendly
        validity = cert["tbs_certificate"]["validity"]
        not_before = validity["not_before"].native
        not_after = validity["not_after"].native
        eku = cert.extended_key_usage_value
        country = str(cert.subject.native.get("country_name", "") or "")
    except (ValueError, TypeError, KeyError) as exc:
        raise TrustListError("trust.not_x509", detail=exc) from None
    if not isinstance(public_key, PublicKey):
        raise TrustListError("trust.key_type", type=type(public_key).__name__)
    usages = None
    if eku is not None:
        listed = {_USAGE_OIDS[o] for o in eku.native if o in _USAGE_OIDS}
        usages = frozenset(listed) if listed else None
    return Certificate(public_key=public_key, subject=subject, not_before=not_before,
                       not_after=not_after, usages=usages, country=country)


def build(signers: Iterable[Signer], *, imported_at: dt.datetime, source: str = "",
          skipped: Iterable[Words] = (), fetched: Fetched | None = None) -> TrustList:
    table: dict[bytes, tuple[Signer, ...]] = {}
    for signer in signers:
        same = table.get(signer.kid, ())
        if all(s.der != signer.der for s in same):
            table[signer.kid] = (*same, signer)
    return TrustList(table, imported_at, source, tuple(skipped), fetched)


def load(path: str | Path, *, now: dt.datetime | None = None) -> TrustList:
    """Read a trust list in any of the formats above; raises TrustListError."""
    path = Path(path)
    now = now or dt.datetime.now(dt.UTC)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in PEM_SUFFIXES)
        if not files:
            raise TrustListError("trust.no_pem_files", path=path,
                                 suffixes=", ".join(PEM_SUFFIXES))
        signers, skipped = [], []
        for file in files:
            found, bad = _pem_signers(_read(file), file.name)
            signers += found
            skipped += bad
        return build(signers, imported_at=now, source=str(path), skipped=skipped)
    return parse(_read(path), source=str(path), now=now)


def parse(data: bytes, *, source: str = "", now: dt.datetime | None = None) -> TrustList:
    now = now or dt.datetime.now(dt.UTC)
    if b"-----BEGIN" in data[:4096]:
        signers, skipped = _pem_signers(data, source)
        return build(signers, imported_at=now, source=source, skipped=skipped)
    document = _json(data, source)
    imported_at = now
    checked = True
    fetched = None
    if isinstance(document, dict) and document.get("format") == FILE_FORMAT:
        imported_at = _parse_iso(document.get("imported_at"), source)
        fetched = _fetched(document.get("fetched"), source)
        source = str(document.get("source") or source)
        items = document.get("trustList")
        checked = False  # written by ``save`` from a checked list: parsed when first used
    elif isinstance(document, dict) and "certificates" in document:
        items = document["certificates"]
    else:
        items = document
    if not isinstance(items, list):
        raise TrustListError("trust.not_a_list", source=source)
    signers, skipped = [], []
    for index, item in enumerate(items):
        try:
            signers.append(_item_signer(item, check=checked))
        except TrustListError as exc:
            skipped.append(Words("trust.skipped_item", {"index": index, "problem": exc.words}))
    if not signers and items:
        raise TrustListError("trust.none_usable", source=source, first=skipped[0])
    return build(signers, imported_at=imported_at, source=source, skipped=skipped,
                 fetched=fetched)


def _fetched(value: Any, source: str) -> Fetched | None:
    """The record of a fetch from the centre; None when there is none, or it is not one
    (a hand edit): the list stays usable, aged by its import time as it reads, and the next
    refresh fetches it whole and records it anew."""
    if not isinstance(value, dict) or not isinstance(value.get("etag"), str):
        return None
    centre_time = value.get("centre_time")
    try:
        return Fetched(_parse_iso(value.get("at"), source), None if centre_time is None
                       else _parse_iso(centre_time, source), value["etag"],
                       _boot(value.get("boot")))
    except TrustListError:
        return None


def _boot(value: Any) -> Boot | None:
    """The record of where its age began on a boot's clock; None when there is none or it
    is not one (a hand edit): the list is then aged by the times recorded."""
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        return None
    counted_from = value.get("counted_from")
    if (isinstance(counted_from, bool) or not isinstance(counted_from, int | float)
            or not abs(counted_from) <= BOOT_RANGE):  # NaN too
        return None
    return Boot(value["id"], float(counted_from))


def save(trust_list: TrustList, path: str | Path) -> bytes:
    """Write atomically (temp file, fsync, rename): a power cut leaves the old list or the new
    one, never half a list. Returns the bytes written."""
    data = trust_list.to_json()
    replace_file(path, data)
    return data


def _item_signer(item: Any, *, check: bool) -> Signer:
    if not isinstance(item, dict):
        raise TrustListError("trust.item_not_object")
    kind = item.get("certificateType", "DSC")
    if kind != "DSC":
        raise TrustListError("trust.not_dsc", kind=repr(kind))
    raw = item.get("rawData", item.get("certificate"))
    if not isinstance(raw, str):
        raise TrustListError("trust.no_raw_data")
    der = _b64(raw, "rawData")
    kid = _b64(item["kid"], "kid") if isinstance(item.get("kid"), str) else None
    country = item.get("country") if isinstance(item.get("country"), str) else ""
    if not check and kid is not None:
        return Signer(kid=kid, country=country, der=der)
    return signer_from_der(der, kid, country)


def _pem_signers(data: bytes, source: str) -> tuple[list[Signer], list[Words]]:
    signers, skipped = [], []
    try:
        blocks = list(pem.unarmor(data, multiple=True))
    except ValueError as exc:
        raise TrustListError("trust.not_pem", source=source, detail=exc) from None
    for index, (kind, _headers, der) in enumerate(blocks):
        if kind != "CERTIFICATE":
            skipped.append(Words("trust.skipped_block", {
                "source": source, "index": index,
                "problem": Words("trust.not_certificate_block", {"kind": kind})}))
            continue
        try:
            signers.append(signer_from_der(der))
        except TrustListError as exc:
            skipped.append(Words("trust.skipped_block", {"source": source, "index": index,
                                                         "problem": exc.words}))
    return signers, skipped


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TrustListError("trust.too_large", path=path, size=size)
        return path.read_bytes()
    except FileNotFoundError:
        raise TrustListError("file.not_found", path=path) from None
    except OSError as exc:
        raise TrustListError("file.unreadable", path=path, reason=os_words(exc)) from None


def _json(data: bytes, source: str) -> Any:
    text = data.decode("utf-8-sig", errors="replace").strip()
    if text[:1] not in ("[", "{") and "\n" in text:
        text = text.split("\n", 1)[1].strip()  # a backend's signature line, then the JSON
    if nested_too_deep(text.encode()):  # a centre's or a proxy's "[" * 100000
        raise TrustListError("trust.too_deep", source=source)
    try:
        return json.loads(text)
    except ValueError as exc:
        raise TrustListError("trust.not_json_or_pem", source=source, detail=exc) from None


def _b64(text: str, name: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise TrustListError("trust.not_base64", name=name) from None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: Any, source: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        raise TrustListError("trust.bad_imported_at", source=source, value=repr(text)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
