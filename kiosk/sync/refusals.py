"""The centre's answer to a backlog file, carried back on the stick: the entries it refused
and the entries it holds.

A site with no network learns what became of its entries only from this file:
``kiosk-central import`` writes it beside the backlog file (``FILE.refused``, or into
``--refusals-to``), and ``kiosk sync load-refusals FILE`` marks the entries it refused
refused on the kiosk, so ``kiosk sync status`` lists them and ``kiosk sync retry-rejected``
works offline, and the entries it holds acknowledged, as an upload's answer would: they
leave the pending set, are never exported again, and the purge removes them in their time.

JSON: ``format``, ``version``, ``kiosk``, ``centre`` (the id of the centre that wrote it:
:func:`kiosk.central.backlog_key.centre_id`), ``answers`` (which backlog file it answers),
``complete`` (false: the import was cut short, only the entries answered before the stop
are in it), ``refused`` (per entry its id and the centre's answer — ``reason``, ``code``,
``params`` — as an upload's answer carries them, less any value of the entry,
:meth:`Refusal.unquoted`; field names, limits, times, kiosk and checkpoint ids stay), then
the acknowledgement — ``sealed`` (which export it answers, by its receipt key) and
``acknowledgement``, sealed — and ``mac``. Sealed in ``acknowledgement``: ``held`` (the ids
of the file's entries the centre holds: accepted now, or already there),
``past_retention`` (those of them it answered as filed before its latest purge's cutoff,
``retention_cut``: done, yet not held, as an upload's answer says).

The file lies on a stick that may be lost, where the backlog file is sealed. Ids are
UUIDv7: each tells the millisecond of a scan at the named kiosk, so the ids of every entry
held would give away what the sealed backlog hides; they are sealed with a key only the
kiosk that exported the file and the centre can derive. The refused ids stay in clear, as
before acknowledgements, so a kiosk older than them still loads its refusals from a newer
centre's answer: they reveal no more than they did (a few entries' times, typically), and
the acknowledgement adds nothing readable.

The refusals are bound to the backlog file by what only the kiosk and the centre know: the
SHA-256 of that file's entries, which is sealed in it (its manifest) and which the kiosk
keeps in its export's audit record. ``answers`` is a hash of it (naming the file without
giving it away), ``mac`` an HMAC keyed with it. So a refusals file another kiosk's import
wrote, or one for a file this kiosk has no record of, or one altered or made up on the
stick (ids added, another kiosk named), is refused whole. Whoever holds the entries'
digest (the kiosk, the centre, whoever has the entries) could still write one; and even a
file taken as genuine only ever marks entries still waiting (pending or exported) as
refused, never delivered: at worst entries wait until ``retry-rejected``, none is lost.

An acknowledgement takes entries out of the kiosk for good (the purge follows), so it is
bound tighter: ``acknowledgement`` is ChaCha20-Poly1305 (a random nonce, then the
ciphertext, base64) under a key derived (HKDF, its own label) from the backlog file's
receipt key (:func:`kiosk.sync.backlog._receipt_key`), itself derived from the agreement
only the centre's private key and the kiosk, at sealing time, can compute; the kiosk kept
it in the export's audit record. Its associated data is every other member but ``mac``
(which covers it in turn, so a kiosk older than the acknowledgement still checks and
loads the refusals), hence the refusals and the file: an answer altered, extended, or moved
to another file (a re-export of the same entries under the same name has another receipt
key) is refused whole. An export this kiosk kept no receipt key of (written before this
release) cannot be acknowledged from a file: its refusals are loaded, its entries wait for
the network.

The receipt key proves the answer was written by a holder of the centre's backlog key, not
by which database: a second one given the same key file (a staging centre made with
production's, a second ``init --db``) would acknowledge entries the kiosk's own centre never
received. So ``centre`` is covered by the ``mac`` and the seal, and :func:`load` refuses an
answer naming another centre than the one the kiosk keeps (``centre-backlog.json``:
:mod:`kiosk.sync.kiosk_keys`), and one naming none: the kiosk's centre names itself, so an
answer naming none came from another database (a staging centre on an earlier release
given production's key). The kiosk learns its centre's id only from its centre at
``server_url`` (enrolment, the backlog-keys answer), never from a file: one learnt from a
staging centre's answer would have acknowledged what the real centre never got, then
refused the real centre's answers. A kiosk that kept none yet loads an answer naming an id
without its acknowledgement (its refusals only, :attr:`Receipt.CENTRE_UNKNOWN`: the entries
wait, nothing lost) until it has reached its centre once; an answer naming none, to such a
kiosk, is loaded as before (its centre may be older than ids), said so.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Collection, Iterable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.messages import Number, WordedError, Words, os_words, shown_name
from kiosk.private_files import open_fresh
from kiosk.sync.backlog import FORMAT as BACKLOG_FORMAT
from kiosk.sync.protocol import Refusal

if TYPE_CHECKING:
    from kiosk.store import Answered, Store
    from kiosk.sync.kiosk_keys import KioskKeys

FORMAT = "checkpoint-kiosk-refusals"
VERSION = 2
SUFFIX = ".refused"
MAX_BYTES = 256 << 20
"""A refusals file larger than this is refused unread (a million entries' take ~150 MB)."""


_ANSWERS = b"checkpoint-kiosk-refusals 2 answers\n"
_MAC = b"checkpoint-kiosk-refusals 2 mac\n"
_SEALED = b"checkpoint-kiosk-refusals 2 sealed\n"
_ACKNOWLEDGEMENT_INFO = b"checkpoint-kiosk-refusals 2 acknowledgement"
_ACKNOWLEDGEMENT = ("sealed", "acknowledgement")
_NONCE = 12
"""A multiple of 3, as is _BASE64_PIECE: the nonce and the sealed ids, base64'd apart, read
as the base64 of the whole."""
_BASE64_PIECE = 3 << 16


class RefusalsError(WordedError):
    """A refusals file that cannot be read, is not one (or one of an older format, from a
    centre not yet upgraded), or does not answer a file this kiosk exported
    (``sync.refusals_missing``, ``…_unreadable``, ``…_is_backlog``, ``…_cut_off``,
    ``…_not_one``, ``…_old_format``, ``…_other_file``, ``…_altered``), or was written by
    another centre than this kiosk's (``sync.refusals_other_centre``), or by a centre that
    names none when this kiosk keeps its centre's id (``sync.refusals_no_centre``)."""


def answers(entries_sha256: str) -> str:
    """How a refusals file names the backlog file it answers: a hash of the SHA-256 of its
    entries (their digest itself is the key of the ``mac``)."""
    return hashlib.sha256(_ANSWERS + entries_sha256.encode("ascii")).hexdigest()


def sealed(receipt_key: bytes) -> str:
    """How an answer names the export it acknowledges: a hash of that file's receipt key
    (two exports of the same entries have the same digest, never the same receipt key)."""
    return hashlib.sha256(_SEALED + receipt_key).hexdigest()


def _canonical(body: dict[str, Any]) -> bytes:
    """``body`` as canonical JSON, what the ``mac`` and the acknowledgement's seal cover."""
    return json.dumps(body, ensure_ascii=True, sort_keys=True,
                      separators=(",", ":")).encode("ascii")


def _mac(entries_sha256: str, body: dict[str, Any]) -> str:
    """The HMAC of ``body`` keyed with the entries' digest."""
    return hmac.new(entries_sha256.encode("ascii"), _MAC + _canonical(body),
                    hashlib.sha256).hexdigest()


def _aead(receipt_key: bytes) -> ChaCha20Poly1305:
    """The acknowledgement's cipher: a key of its own from the receipt key, which reveals
    nothing of it (nor of the backlog's part key)."""
    return ChaCha20Poly1305(HKDF(hashes.SHA256(), 32, salt=None,
                                 info=_ACKNOWLEDGEMENT_INFO).derive(receipt_key))


class HeldIds:
    """The ids of a backlog file's entries the centre holds, kept as the canonical JSON the
    answer seals (``"id",`` — 39 bytes an id, where a list of texts takes ~93): an import
    holds every one of them until its answer is written, a million for a province's
    file."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._json = bytearray()
        self._count = 0
        self.extend(ids)

    def extend(self, ids: Iterable[str]) -> None:
        texts = [_json_text(entry_id) for entry_id in ids]
        if texts:
            self._json += ",".join(texts).encode("ascii") + b","
            self._count += len(texts)

    def __len__(self) -> int:
        return self._count

    def canonical(self) -> bytes:
        """The ids as :func:`_canonical` writes their list."""
        return b"".join(self._pieces())

    def _pieces(self) -> tuple[bytes | memoryview, ...]:
        """:meth:`canonical` in pieces, the ids not copied: to join with what goes around."""
        return (b"[", memoryview(self._json)[:-1], b"]") if self._count else (b"[]",)


_json_text = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]
"""A text as canonical JSON writes it (``ensure_ascii``), without the call's overhead."""


def write(path: Path, *, kiosk_id: str, entries_sha256: str,
          refused: Iterable[dict[str, Any]], complete: bool, held: HeldIds | list[str],
          past_retention: list[str], retention_cut: str | None, receipt_key: bytes,
          centre_id: str) -> None:
    """Write the file whole under a temporary name, then give it ``path`` (replacing an
    earlier import's: the latest answer is the one to carry; a write that fails, a full
    stick, leaves no part of it); the answers ``refused`` with
    no value of their entries, the ids ``held`` (``past_retention`` among them) sealed with
    a key derived from ``receipt_key`` (a random nonce: a re-import answers again under
    the same key), the writing centre's ``centre_id`` under the seal and the mac.

    The acknowledgement, 52 bytes an id held, is sealed in one piece and written out a
    piece at a time, the mac taken over the same pieces: neither it nor the ids are copied
    into the texts the mac covers and the file holds (the same bytes as ``json.dumps`` of
    the whole; a million ids took ~350 MB more)."""
    body: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "kiosk": kiosk_id, "centre": centre_id,
        "answers": answers(entries_sha256), "complete": complete,
        "refused": [{"id": answer.get("id"), **Refusal.from_answer(answer).unquoted().answer()}
                    for answer in refused],
        "sealed": sealed(receipt_key)}
    if not isinstance(held, HeldIds):
        held = HeldIds(held)
    nonce = os.urandom(_NONCE)
    plain = b"".join((b'{"held":', *held._pieces(), b',"past_retention":',
                      _canonical(past_retention), b',"retention_cut":',
                      _canonical(retention_cut), b"}"))  # _canonical of the three, sorted
    sealed_ids = _aead(receipt_key).encrypt(nonce, plain, _canonical(body))
    del plain
    mac = hmac.new(entries_sha256.encode("ascii"), _MAC + b'{"acknowledgement":"',
                   hashlib.sha256)  # the canonical body: its first key, sorted
    part = path.with_name(path.name + ".part")
    try:
        with open_fresh(part) as out:  # ASCII: a lone surrogate in a field name too
            out.write(json.dumps(body)[:-1].encode("ascii") + b', "acknowledgement": "')
            whole = memoryview(sealed_ids)
            for piece in (nonce, *(whole[start:start + _BASE64_PIECE]  # 3n bytes: base64
                                   for start in range(0, len(whole), _BASE64_PIECE))):
                text = base64.b64encode(piece)  # ASCII: JSON quotes it as it is
                mac.update(text)
                out.write(text)
            mac.update(b'",' + _canonical(body)[1:])
            out.write(b'", "mac": ' + json.dumps(mac.hexdigest()).encode("ascii") + b"}")
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, path)
    except BaseException:  # a full stick: no half answer left on it (its refused ids)
        with contextlib.suppress(OSError):
            os.unlink(part)
        raise


def answered_whole(path: Path, entries_sha256: str, receipt_key: bytes) -> bool:
    """Whether ``path`` holds a complete answer to the backlog file of ``entries_sha256``
    and ``receipt_key`` (an earlier import's, every entry answered): a re-import of it cut
    short, which answered fewer, does not replace it
    (:func:`kiosk.central.importer.write_refusals`)."""
    try:
        return read(path, [(entries_sha256, receipt_key)]).complete
    except RefusalsError:
        return False


class Receipt(Enum):
    """What became of an answer's acknowledgement."""
    CHECKED = "checked"
    """Sealed under the receipt key of an export of this kiosk: ``held`` is the centre's."""
    NONE = "none"
    """The answer holds none (a centre older than acknowledgements)."""
    UNCHECKABLE = "uncheckable"
    """This kiosk kept no receipt key of an export of those entries (written before this
    release)."""
    CENTRE_UNKNOWN = "centre_unknown"
    """Sealed for an export of this kiosk by a centre naming its id, which this kiosk does
    not know yet (it learns it from its centre at ``server_url``): ``held`` not taken."""


class Refusals(NamedTuple):
    kiosk_id: str
    centre_id: str | None
    """The id of the centre that wrote the answer; None from a centre older than ids."""
    refused: dict[str, Words | str]
    """Each refused entry's id with its reason (as an upload's answer is kept:
    :meth:`Refusal.words`)."""
    complete: bool
    """False: the import was cut short, entries after the stop not answered yet."""
    receipt: Receipt
    held: list[str]
    """The ids the centre holds, to acknowledge; empty unless ``receipt`` is CHECKED."""
    past_retention: list[str]
    """Those of ``held`` answered past the centre's retention: done, yet not held."""
    retention_cut: str | None


def read(path: str | Path, exported: Collection[tuple[str, bytes | None]]) -> Refusals:
    """What a refusals file says, once it proved to answer a file this kiosk exported.
    ``exported``: the entries' SHA-256 of each backlog file this kiosk wrote, with its
    receipt key where kept (:meth:`kiosk.store.Store.exported_files`); a file answering
    none of them, or whose ``mac`` is not the centre's, or whose acknowledgement is not sealed
    with the receipt key of the export it names, is refused: an acknowledgement naming no
    export of these entries whose key was kept is taken for one only when an export of them
    kept none."""
    name = shown_name(str(path))
    try:
        with open(path, "rb") as source:
            data = source.read(MAX_BYTES + 1)
    except FileNotFoundError as exc:
        raise RefusalsError("sync.refusals_missing", path=name) from exc
    except OSError as exc:  # the system's words are English: in the log, not the sentence
        raise RefusalsError("sync.refusals_unreadable", path=name, detail=os_words(exc)) \
            from exc
    if data.startswith(BACKLOG_FORMAT.encode("ascii")):  # the slip: the file beside it
        raise RefusalsError("sync.refusals_is_backlog", path=name,
                            answer=shown_name(f"{path}{SUFFIX}"))
    if len(data) > MAX_BYTES:
        raise RefusalsError("sync.refusals_not_one", path=name)
    try:
        document = json.loads(data.decode("utf-8"))
    except ValueError as exc:  # not UTF-8, not JSON: one begun as ours was cut off
        if data.startswith(json.dumps({"format": FORMAT})[:-1].encode("ascii")):
            raise RefusalsError("sync.refusals_cut_off", path=name) from exc
        raise RefusalsError("sync.refusals_not_one", path=name) from exc
    if isinstance(document, dict) and document.get("format") == FORMAT and isinstance(
            version := document.get("version"), int) and 0 < version < VERSION:
        raise RefusalsError("sync.refusals_old_format", path=name, version=version)
    if not (isinstance(document, dict) and document.get("format") == FORMAT
            and document.get("version") == VERSION and isinstance(document.get("kiosk"), str)
            and isinstance(document.get("answers"), str)
            and isinstance(document.get("complete"), bool)
            and isinstance(document.get("mac"), str)
            and isinstance(document.get("centre", ""), str)
            and isinstance(document.get("refused"), list)
            and all(_answer(item) for item in document["refused"])):
        raise RefusalsError("sync.refusals_not_one", path=name)
    digest = next((sha for sha, _ in exported if answers(sha) == document["answers"]), None)
    if digest is None:
        raise RefusalsError("sync.refusals_other_file", path=name, kiosk=document["kiosk"])
    body = {key: value for key, value in document.items() if key != "mac"}
    if not hmac.compare_digest(_mac(digest, body), document["mac"]):
        raise RefusalsError("sync.refusals_altered", path=name)
    refusals = Refusals(document["kiosk"], document.get("centre"),
                        {item["id"]: Refusal.from_answer(item).words()
                         for item in document["refused"]},
                        document["complete"], Receipt.NONE, [], [], None)
    if not any(key in document for key in _ACKNOWLEDGEMENT):
        return refusals
    if not all(isinstance(document.get(key), str) for key in _ACKNOWLEDGEMENT):
        raise RefusalsError("sync.refusals_not_one", path=name)
    keys = [key for sha, key in exported if sha == digest]
    key = next((key for key in keys if key and sealed(key) == document["sealed"]), None)
    if key is None and None in keys:
        return refusals._replace(receipt=Receipt.UNCHECKABLE)
    if key is None:  # every export of these entries kept its key: not any of theirs
        raise RefusalsError("sync.refusals_altered", path=name)
    acknowledgement = _opened(key, body)
    if acknowledgement is None:
        raise RefusalsError("sync.refusals_altered", path=name)
    return refusals._replace(receipt=Receipt.CHECKED, **acknowledgement)


class Loaded(NamedTuple):
    """What loading the centre's answer changed (:func:`load`)."""
    answer: Refusals
    marked: Answered
    cut: str | None
    """The retention cut the answer says, as shown (:func:`kiosk.sync.client.retention_cut`)."""

    def words(self) -> list[Words]:
        """What the load did, a sentence each: ``kiosk sync load-refusals`` prints them, the
        sync screen shows them, in their reader's language."""
        answer, marked = self.answer, self.marked
        said = [Words("sync.refusals_loaded", {
            "count": Number(marked.refused), "named": Number(len(answer.refused)),
            "kiosk": answer.kiosk_id}) if answer.refused  # else "fix it, then retry" misled
            else Words("sync.refusals_none", {"kiosk": answer.kiosk_id})]
        if answer.receipt is Receipt.CHECKED:
            said.append(Words("sync.answer_acknowledged", {
                "held": Number(len(answer.held)), "acknowledged": Number(marked.acknowledged),
                "already": Number(marked.already), "unknown": Number(marked.unknown)}))
            if answer.past_retention:  # done, yet not at the centre
                said.append(Words("sync.past_retention", {
                    "count": Number(len(answer.past_retention)), "cutoff": self.cut or ""}))
        elif answer.receipt is Receipt.CENTRE_UNKNOWN:
            said.append(Words("sync.answer_centre_unknown", {"centre": answer.centre_id}))
        else:
            said.append(Words("sync.answer_uncheckable" if answer.receipt is Receipt.UNCHECKABLE
                              else "sync.answer_no_receipt"))
        if not answer.complete:
            said.append(Words("sync.refusals_cut_short"))
        if answer.centre_id is None:
            said.append(Words("sync.answer_no_centre"))
        return said


def load(store: Store, path: str | Path, actor: str, keys: KioskKeys,
         progress: Callable[[int, int], None] | None = None) -> Loaded:
    """Apply the answer at ``path`` to ``store`` (:meth:`kiosk.store.Store.mark_answered`,
    in parts: ``progress(done, total)`` between them), its retention cut checked and saved
    as an upload's answer's is; one function for the command and the sync screen, so both
    trust and change the same. A file that does not prove to answer an export of this
    store's, or that another centre than the one ``keys`` keep wrote, raises
    :class:`RefusalsError`, nothing changed."""
    import datetime as dt  # the centre's import reads files without these (no sync extra)
    import time

    from kiosk.sync.client import retention_cut
    from kiosk.sync.status import MetaKey, past_retention_added

    answer = _centre_checked(read(path, store.exported_files()), keys, shown_name(str(path)))
    cut = retention_cut(answer.retention_cut, dt.datetime.now(dt.UTC).date())
    added = {MetaKey.PAST_RETENTION: past_retention_added(cut, time.time())}
    return Loaded(answer, store.mark_answered(answer.kiosk_id, answer.refused, answer.held,
                                              actor, answer.past_retention, added,
                                              progress), cut)


def _centre_checked(answer: Refusals, keys: KioskKeys, name: str) -> Refusals:
    """``answer`` as far as its centre lets it count. RefusalsError when ``keys`` keep the
    centre's id and the answer names another, or none (the kiosk's centre names itself):
    the file was imported into another database holding the same backlog key, which may not
    hold what it acknowledges. A kiosk that kept no id takes an answer naming one without
    its acknowledgement (:attr:`Receipt.CENTRE_UNKNOWN`): who wrote it is not known until
    the kiosk reaches its centre at ``server_url``, and the id is never learnt from a file
    (a staging centre's would stick). One naming none, to such a kiosk, counts as before."""
    known = keys.centre()
    ours = known.centre_id if known is not None else None
    if ours is not None:
        if answer.centre_id is None:
            raise RefusalsError("sync.refusals_no_centre", path=name, ours=ours)
        if answer.centre_id != ours:
            raise RefusalsError("sync.refusals_other_centre", path=name,
                                theirs=answer.centre_id, ours=ours)
        return answer
    if answer.centre_id is not None and answer.receipt is Receipt.CHECKED:
        return answer._replace(receipt=Receipt.CENTRE_UNKNOWN, held=[], past_retention=[],
                               retention_cut=None)
    return answer


def _opened(receipt_key: bytes, body: dict[str, Any]) -> dict[str, Any] | None:
    """The acknowledgement sealed in ``body``, if sealed under ``receipt_key``'s key with
    the rest of ``body`` as its associated data and of the types the centre writes."""
    sealed_text = body.pop("acknowledgement")
    try:
        data = base64.b64decode(sealed_text, validate=True)
        plain = _aead(receipt_key).decrypt(data[:_NONCE], data[_NONCE:], _canonical(body))
    except (binascii.Error, ValueError, InvalidTag):
        return None
    content = json.loads(plain)
    if not (isinstance(content, dict) and all(isinstance(content.get(key), list) and all(
                isinstance(one, str) for one in content[key])
                for key in ("held", "past_retention"))
            and isinstance(content.get("retention_cut"), str | None)):
        return None
    return {key: content.get(key) for key in ("held", "past_retention", "retention_cut")}


_SCALAR = str | int | float | bool | None


def _answer(item: object) -> bool:
    """An entry's answer as the centre writes it: its id; a reason and code that are text;
    params of JSON scalars, but ``allowed``, a list of them (``not_allowed``), as
    :func:`kiosk.messages.refusal` words them — a list or object elsewhere is no centre's."""
    if not (isinstance(item, dict) and isinstance(item.get("id"), str)
            and all(isinstance(item.get(key), str | None) for key in ("reason", "code"))):
        return False
    params = item.get("params")
    return params is None or (isinstance(params, dict) and all(
        isinstance(value, _SCALAR) or (key == "allowed" and isinstance(value, list)
        and all(isinstance(one, _SCALAR) for one in value)) for key, value in params.items()))
