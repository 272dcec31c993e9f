"""Backlog files: a kiosk's pending entries on a USB stick, for a site with no network.

Format 2 (``docs/protocol.md``, "Backlog files") — signed by the kiosk, sealed to the centre::

    "checkpoint-kiosk-backlog 2\\n"       the header: what the file is, in clear,
    ephemeral X25519 public key (32)       then the key this file was sealed with
    centre's X25519 public key (32)        and the centre key it was sealed to;
    parts: u32 big-endian length + ChaCha20-Poly1305 ciphertext, each ≤ 1 MiB of
        zlib-compressed JSON lines (one wire entry, :func:`protocol.entry_to_wire`,
        per line, oldest first), and a last part holding the kiosk's Ed25519 signature
        (64 bytes) and the manifest (JSON: kiosk, checkpoint, count, first and last id,
        SHA-256 and size of the JSON lines, the signing key's fingerprint).

The part key is HKDF-SHA256 of the X25519 agreement, salted with the header; each part's
nonce is its number and a "last part" flag, and the header is the associated data of every
part (the STREAM construction, as age and Tink use it). So:

* without the centre's private key nothing but the header and the sizes can be read;
* a flipped byte fails that part's tag, a cut-off file has no last part, reordered or
  dropped parts fail their nonces: each is refused with the reason;
* the signature covers the header and the manifest, the manifest the SHA-256 of every
  entry line: only the holder of the kiosk's private key (on the kiosk, never at the
  centre) can write a file the centre accepts as that kiosk's;
* a second key, the *receipt key*, is derived from the same agreement with its own label:
  the kiosk keeps it in its export's audit record and the centre, once the file proved
  genuine, seals its answer's acknowledgement under a key derived from it
  (:mod:`kiosk.sync.refusals`). Nobody else can compute it (the ephemeral private key is
  discarded once the file is written), so a lost stick neither tells which entries the
  centre holds nor can be made to say that it holds entries it does not.

Files of format 1 (a ZIP signed with an HMAC key the centre kept in its database) are
refused with how to re-export them: their entries are still pending on the kiosk.

:meth:`BacklogReader.verify` reads everything once before a single entry is handed out, so
a bad file is refused with nothing from it stored. Writing a file changes nothing on the
kiosk but the label ``sent``: entries stay pending until the centre acknowledges them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

import msgspec
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk import json_depth
from kiosk.messages import Words, both, os_words, shown_name
from kiosk.private_files import (
    OutputIsFolder,
    open_fresh,
    output_folder,
    place,
    refuse_special,
)
from kiosk.sync import protocol
from kiosk.sync.backlog_keys import fingerprint, raw

FORMAT = "checkpoint-kiosk-backlog"
VERSION = 2
MAGIC = f"{FORMAT} {VERSION}\n".encode("ascii")
FILE_SUFFIX = ".backlog"
"""How the kiosk's export and sync screen name the files they write, and so what an
import's examples name."""
HEADER_BYTES = len(MAGIC) + 64
PART_BYTES = 1 << 20
"""Compressed entry data per part; a part on disk is 4 + PART_BYTES + 16 bytes at most."""
SIGNATURE_BYTES = 64
MAX_MANIFEST_BYTES = 64 * 1024
MAX_LINE_BYTES = 4 << 20
_SIGNED_LABEL = b"checkpoint-kiosk-backlog 2 manifest\n"
_KDF_INFO = b"checkpoint-kiosk-backlog 2 parts"
_RECEIPT_INFO = b"checkpoint-kiosk-backlog 2 receipt"
_LENGTH = struct.Struct(">I")
_TAG = 16
_OLD_ZIP = b"PK\x03\x04"
_LINES_PER_WRITE = 512


class BacklogError(ValueError):
    """The file cannot be written, trusted or read; ``words`` say why (str(): both
    languages)."""

    def __init__(self, code: str, path: Path | None = None, **params: object) -> None:
        self.path = path
        self.words = Words(f"backlog.{code}", params)
        super().__init__((f"{shown_name(path)}: " if path else "") + both(self.words.code,
                                                                       **params))


@dataclass(frozen=True)
class Manifest:
    format: str
    version: int
    protocol: int
    kiosk_id: str
    checkpoint_id: str
    created_at: str
    entries: int
    first_id: str | None
    last_id: str | None
    entries_sha256: str
    entries_bytes: int
    signing_key: str
    """Fingerprint of the kiosk's signing key (:func:`backlog_keys.fingerprint`)."""
    clock: dict[str, Any] | None = None
    """The kiosk's clocks as it wrote the file, beside ``created_at`` (its wall clock):
    ``boot_id``, ``monotonic_ns`` and ``suspended_ns`` (None: not known), as a batch's
    ``boot_id``, ``sent_monotonic_ns`` and ``sent_suspended_ns`` (:func:`writing_clock`).
    None in a file of an older kiosk, imported as before (docs/central.md, "A kiosk's clock
    in a backlog file")."""

    def to_json(self) -> bytes:
        fields = asdict(self)
        if fields["clock"] is None:  # as an older kiosk wrote it
            del fields["clock"]
        return json.dumps(fields, ensure_ascii=False, indent=1).encode("utf-8")


def _aead(shared: bytes, header: bytes) -> ChaCha20Poly1305:
    key = HKDF(hashes.SHA256(), 32, salt=header, info=_KDF_INFO).derive(shared)
    return ChaCha20Poly1305(key)


def _receipt_key(shared: bytes, header: bytes) -> bytes:
    """The key of the centre's acknowledgement of this file: HKDF of the same agreement
    under another label, so it reveals nothing of the part key, nor the part key of it."""
    return HKDF(hashes.SHA256(), 32, salt=header, info=_RECEIPT_INFO).derive(shared)


def _nonce(number: int, last: bool) -> bytes:
    return number.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


@dataclass(frozen=True)
class Written:
    manifest: Manifest
    sha256: str
    """Of the whole file as written: :func:`check_written` compares the disk's copy."""
    size: int
    receipt_key: bytes
    """What the centre's answer to this file is keyed with (:func:`_receipt_key`): the
    kiosk keeps it to check that answer."""


def write_backlog(path: str | Path, rows: Iterable[Mapping[str, Any]], *,
                  signing_key: Ed25519PrivateKey, centre_key: X25519PublicKey,
                  kiosk_id: str, checkpoint_id: str,
                  progress: Callable[[int], None] | None = None,
                  force: bool = True,
                  recorded: Callable[[Written], None] | None = None) -> Written:
    """Write store rows (oldest first) to ``path`` atomically, signed with the kiosk's
    ``signing_key`` and sealed to the centre's ``centre_key``.

    The file appears under its name only once complete and flushed to disk (written as
    ``path.part``, fsynced, renamed; without ``force`` never over a file already there:
    :func:`kiosk.private_files.place`). Rows of another kiosk are refused: the centre would
    refuse them, and the file is signed as this kiosk's. ``recorded(written)`` is called
    once the file is whole on the disk, before it takes its name: the kiosk's record of the
    export (its receipt key), so that no file is under its name without one — a kill
    between the rename and a record written after left a good file whose answer the kiosk
    refused for ever. What it raises ends the write, the ``.part`` deleted.
    """
    path = Path(path)
    refuse_special(path)  # renamed over, /dev/null would become a file
    output_folder(path)  # never made: with no stick mounted, it would be on the kiosk's disk
    if path.is_dir():  # with --force too: never replaced, nor a .part beside it named
        example = f"{kiosk_id}{FILE_SUFFIX}"  # a file to give in it
        raise OutputIsFolder(path, example)
    partial = path.with_name(path.name + ".part")
    ephemeral = X25519PrivateKey.generate()
    header = MAGIC + raw(ephemeral.public_key()) + raw(centre_key)
    shared = ephemeral.exchange(centre_key)
    aead = _aead(shared, header)
    digest, size, count, first, last = hashlib.sha256(), 0, 0, None, None
    compressor = zlib.compressobj(6)
    pending = bytearray()
    number = 0
    whole = hashlib.sha256(header)

    def seal(out: BinaryIO, data: bytes, *, final: bool = False) -> None:
        nonlocal number
        sealed = aead.encrypt(_nonce(number, final), data, header)
        record = _LENGTH.pack(len(sealed)) + sealed
        out.write(record)
        whole.update(record)
        number += 1

    try:
        with open_fresh(partial) as out:  # a link planted as the .part: replaced
            out.write(header)
            lines: list[bytes] = []

            def flush_lines() -> None:
                pending.extend(compressor.compress(b"".join(lines)))
                lines.clear()
                while len(pending) >= PART_BYTES:
                    seal(out, bytes(pending[:PART_BYTES]))
                    del pending[:PART_BYTES]

            for row in rows:
                if row["kiosk_id"] != kiosk_id:
                    raise BacklogError("foreign_entry", id=row["id"], owner=row["kiosk_id"],
                                       kiosk=kiosk_id)
                line = json.dumps(protocol.entry_to_wire(row), ensure_ascii=False,
                                  separators=(",", ":")).encode("utf-8") + b"\n"
                lines.append(line)
                digest.update(line)
                size += len(line)
                count += 1
                first = first or row["id"]
                last = row["id"]
                if len(lines) >= _LINES_PER_WRITE:
                    flush_lines()
                if progress and count % 1000 == 0:
                    progress(count)
            flush_lines()
            pending.extend(compressor.flush())
            for start in range(0, len(pending), PART_BYTES):
                seal(out, bytes(pending[start:start + PART_BYTES]))
            manifest = Manifest(
                format=FORMAT, version=VERSION, protocol=protocol.PROTOCOL_VERSION,
                kiosk_id=kiosk_id, checkpoint_id=checkpoint_id,
                created_at=protocol.format_time(dt.datetime.now(dt.UTC)), entries=count,
                first_id=first, last_id=last, entries_sha256=digest.hexdigest(),
                entries_bytes=size, signing_key=fingerprint(signing_key.public_key()),
                clock=writing_clock())
            manifest_bytes = manifest.to_json()
            signature = signing_key.sign(_SIGNED_LABEL + header + manifest_bytes)
            seal(out, signature + manifest_bytes, final=True)
            out.flush()
            os.fsync(out.fileno())
            written = Written(manifest, whole.hexdigest(), out.tell(),
                              _receipt_key(shared, header))
        if recorded is not None:
            recorded(written)
        place(partial, path, force=force)
        _fsync_dir(path.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if progress:
        progress(count)
    return written


def writing_clock() -> dict[str, Any]:
    """This boot's id, its monotonic clock now and how long it has slept (:func:`kiosk.clock
    .suspended_now`): the manifest's ``clock``, read with its ``created_at``. The entries
    carry their own boot and monotonic time; the centre tells by these whether the kiosk
    said its clock at all (a file of an older kiosk does not), and a later centre can age
    the entries of the writing boot by them, as it ages a batch's."""
    from kiosk.clock import suspended_now
    from kiosk.ids import boot_id

    monotonic, suspended = suspended_now()
    return {"boot_id": boot_id(), "monotonic_ns": monotonic, "suspended_ns": suspended}


def check_written(path: str | Path, written: Written) -> None:
    """Read the file back from the disk (not the page cache, where the kernel allows) and
    compare it with what was written; BacklogError if the stick kept something else."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        with contextlib.suppress(OSError):  # a file system without it: the cache is read
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        while chunk := f.read(PART_BYTES):
            digest.update(chunk)
        size = f.tell()
    if (digest.hexdigest(), size) != (written.sha256, written.size):
        raise BacklogError("not_as_written", Path(path))


class BacklogReader:
    """Open a backlog file with the centre's key, check it, then stream its entries.

    Use as a context manager. Opening reads the header and the last part: ``manifest``
    then names the kiosk whose key to check with, but is not to be trusted until
    :meth:`verify` returned.
    """

    def __init__(self, path: str | Path, centre_key: X25519PrivateKey) -> None:
        self.path = Path(path)
        self._verified = False
        try:
            self._file: BinaryIO = open(self.path, "rb")  # noqa: SIM115 — closed by close()
        except OSError as exc:
            raise BacklogError("cannot_open", path=self.path,
                               detail=os_words(exc)) from None
        try:
            self._open(centre_key)
        except BaseException:
            self.close()
            raise

    def _open(self, centre_key: X25519PrivateKey) -> None:
        header = self._file.read(HEADER_BYTES)
        if header.startswith(_OLD_ZIP):
            raise BacklogError("old_format", path=self.path)
        if not header:  # a stick pulled before a byte arrived: not the wrong file
            raise BacklogError("empty", path=self.path)
        if MAGIC.startswith(header):  # cut within its first line: as a cut file
            raise BacklogError("truncated", path=self.path)
        if not header.startswith(FORMAT.encode()):
            raise BacklogError("not_backlog", path=self.path)
        if not header.startswith(MAGIC):
            raise BacklogError("unsupported", path=self.path,
                               found=header.split(b"\n", 1)[0].decode("ascii", "replace"))
        if len(header) < HEADER_BYTES:
            raise BacklogError("truncated", path=self.path)
        ours = raw(centre_key.public_key())
        sealed_to = header[len(MAGIC) + 32:]
        if sealed_to != ours:
            raise BacklogError("other_centre", path=self.path, theirs=fingerprint(sealed_to),
                               ours=fingerprint(ours))
        ephemeral = X25519PublicKey.from_public_bytes(header[len(MAGIC):len(MAGIC) + 32])
        try:
            shared = centre_key.exchange(ephemeral)
        except ValueError:  # a low-order point (all zeros…): no secret, only a crafted file
            raise BacklogError("bad_ephemeral_key", path=self.path) from None
        self._header = header
        self._aead = _aead(shared, header)
        self._receipt = _receipt_key(shared, header)
        self._parts = self._find_parts()
        trailer = self._part(len(self._parts) - 1)
        self._signature = trailer[:SIGNATURE_BYTES]
        self._manifest_bytes = trailer[SIGNATURE_BYTES:]
        self.manifest = _parse_manifest(self.path, self._manifest_bytes)

    def _find_parts(self) -> list[tuple[int, int]]:
        """(offset, length) of every part, read from their length prefixes alone.

        The writer fills every part but the last entry part and the manifest's, so a part
        of another length with two parts after it is refused as damaged: a crafted file of
        tiny parts (anyone can seal one to the centre) lists no more parts than a genuine
        file of its size, before anything is authenticated."""
        parts: list[tuple[int, int]] = []
        offset = HEADER_BYTES
        end = os.fstat(self._file.fileno()).st_size
        while offset < end:
            if len(parts) >= 2 and parts[-2][1] != PART_BYTES + _TAG:
                raise BacklogError("damaged", path=self.path, part=len(parts) - 1)
            self._file.seek(offset)
            prefix = self._file.read(_LENGTH.size)
            if len(prefix) < _LENGTH.size:
                raise BacklogError("truncated", path=self.path)
            (length,) = _LENGTH.unpack(prefix)
            if not _TAG < length <= PART_BYTES + _TAG:
                raise BacklogError("damaged", path=self.path, part=len(parts) + 1)
            if offset + _LENGTH.size + length > end:
                raise BacklogError("truncated", path=self.path)
            parts.append((offset + _LENGTH.size, length))
            offset += _LENGTH.size + length
        if not parts:
            raise BacklogError("truncated", path=self.path)
        return parts

    def _part(self, number: int) -> bytes:
        offset, length = self._parts[number]
        self._file.seek(offset)
        sealed = self._file.read(length)
        last = number == len(self._parts) - 1
        try:
            return self._aead.decrypt(_nonce(number, last), sealed, self._header)
        except InvalidTag:
            if last and self._opens_as_middle(number, sealed):
                raise BacklogError("truncated", path=self.path) from None
            raise BacklogError("damaged", path=self.path, part=number + 1) from None

    def _opens_as_middle(self, number: int, sealed: bytes) -> bool:
        """Whether the file's last part is a whole part that was not meant to be last."""
        try:
            self._aead.decrypt(_nonce(number, False), sealed, self._header)
        except InvalidTag:
            return False
        return True

    def __enter__(self) -> BacklogReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def verify(self, kiosk_key: Ed25519PublicKey) -> Manifest:
        """Check the signature against the kiosk's registered key, then size, digest,
        count, order and kiosk of every entry; BacklogError naming the first problem."""
        manifest = self.manifest
        try:
            kiosk_key.verify(self._signature, _SIGNED_LABEL + self._header +
                             self._manifest_bytes)
        except InvalidSignature:
            raise BacklogError("bad_signature", path=self.path, kiosk=manifest.kiosk_id,
                               registered=fingerprint(kiosk_key),
                               claimed=manifest.signing_key) from None
        count, previous = 0, ""
        for line in self._lines():
            previous = self._checked_id(line, previous)
            count += 1
        if count != manifest.entries:
            raise BacklogError("wrong_count", path=self.path, found=count,
                               expected=manifest.entries)
        self._verified = True
        return manifest

    def receipt_key(self) -> bytes:
        """The key the kiosk kept to check the centre's answer to this file; only after
        :meth:`verify`: anyone can seal a file to the centre, and know its receipt key."""
        if not self._verified:
            raise RuntimeError(f"{self.path}: receipt key asked before the file was verified")
        return self._receipt

    def batches(self, size: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Wire entries in batches of ``size``, oldest first; only after :meth:`verify`.

        The file is decrypted and hashed again on this pass: if it changed on disk since
        :meth:`verify`, BacklogError is raised at the end (or at the changed part). Each
        batch's lines are parsed as a network batch's entries are
        (:func:`protocol.typed_entries`: :class:`protocol.Entry` when all are valid, else
        plain JSON objects, for the ingest to judge and word), held a batch at a time.
        """
        if not self._verified:
            raise RuntimeError(f"{self.path}: entries read before the file was verified")
        lines: list[bytes] = []
        for line in self._lines():
            lines.append(line)
            if len(lines) >= size:
                yield self._parsed(lines)
                lines = []
        if lines:
            yield self._parsed(lines)

    def _parsed(self, lines: list[bytes]) -> list[Any]:
        typed = protocol.typed_entries(lines)
        if typed is not None:
            return typed
        try:  # the lines verify() parsed, unless the file changed since
            return [json_depth.loads(line) for line in lines]
        except ValueError:
            raise BacklogError("changed", path=self.path) from None

    def _data(self) -> Iterator[bytes]:
        """The entry lines' bytes, decrypted and decompressed, in bounded pieces."""
        decompressor = zlib.decompressobj()
        data = b""
        try:
            for number in range(len(self._parts) - 1):
                data = self._part(number)
                while data:
                    piece = decompressor.decompress(data, PART_BYTES)
                    data = decompressor.unconsumed_tail
                    if piece:
                        yield piece
                    if decompressor.eof:
                        break
            if not decompressor.eof or decompressor.unused_data or data:
                raise BacklogError("changed", path=self.path)
        except zlib.error:
            raise BacklogError("changed", path=self.path) from None

    def _lines(self) -> Iterator[bytes]:
        """Every entry line, without its newline; BacklogError at the end if the lines are
        not the manifest's (size, SHA-256)."""
        manifest = self.manifest
        digest, size = hashlib.sha256(), 0
        pending = b""
        for chunk in self._data():
            digest.update(chunk)
            size += len(chunk)
            if size > manifest.entries_bytes:
                raise BacklogError("changed", path=self.path)
            *lines, pending = (pending + chunk).split(b"\n")
            if len(pending) > MAX_LINE_BYTES:
                raise BacklogError("changed", path=self.path)
            yield from lines
        if pending or size != manifest.entries_bytes or \
                digest.hexdigest() != manifest.entries_sha256:
            raise BacklogError("changed", path=self.path)

    def _checked_id(self, line: bytes, previous: str) -> str:
        """One line's id, checked during verification: a JSON object, its id ascending, of
        this kiosk. Only the id and the kiosk are decoded (the rest is parsed, not built:
        the ingest parses the entries again, a batch at a time); a line that does not
        decode so is parsed whole as before, so what JSON takes (NaN, a lone surrogate, a
        BOM) still passes and what it refuses is refused, before anything is stored."""
        try:
            if json_depth.nested_too_deep(line):
                raise ValueError(line)
            line.decode()  # UTF-8 throughout: msgspec passes over a skipped text's bytes
            head = _LINE_HEAD.decode(line)
            entry_id, kiosk_id = head.id, head.kiosk_id
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
            try:
                entry = json_depth.loads(line)
            except ValueError:
                raise BacklogError("changed", path=self.path) from None
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise BacklogError("changed", path=self.path) from None
            entry_id, kiosk_id = entry["id"], entry.get("kiosk_id")
        if entry_id <= previous:
            raise BacklogError("out_of_order", path=self.path, id=entry_id)
        if kiosk_id != self.manifest.kiosk_id:
            raise BacklogError("foreign_line", path=self.path, id=entry_id,
                               kiosk=self.manifest.kiosk_id)
        return entry_id


class _LineHead(msgspec.Struct):
    """What verification reads of an entry line (:meth:`BacklogReader._checked_id`)."""

    id: str
    kiosk_id: Any = None


_LINE_HEAD = msgspec.json.Decoder(_LineHead)


_MANIFEST_TYPES: dict[str, type | tuple[type, ...]] = {
    "format": str, "version": int, "protocol": int, "kiosk_id": str, "checkpoint_id": str,
    "created_at": str, "entries": int, "first_id": (str, type(None)),
    "last_id": (str, type(None)), "entries_sha256": str, "entries_bytes": int,
    "signing_key": str, "clock": (dict, type(None))}
_CLOCK_TYPES: dict[str, type | tuple[type, ...]] = {
    "boot_id": str, "monotonic_ns": int, "suspended_ns": (int, type(None))}


def _parse_manifest(path: Path, data: bytes) -> Manifest:
    """The manifest, read before the signature is checked (its kiosk id names the key to
    check with), so anyone holding the centre's public key can write it: its text must be
    text every database holds (:func:`protocol.text_problem`) before it reaches a query."""
    try:
        if len(data) > MAX_MANIFEST_BYTES:
            raise ValueError("too large")
        manifest = Manifest(**json_depth.loads(data))
        for name, kind in _MANIFEST_TYPES.items():
            value = getattr(manifest, name)
            if not isinstance(value, kind):
                raise TypeError(name)
            if isinstance(value, str) and protocol.text_problem(value):
                raise ValueError(name)
        if manifest.clock is not None and (
                set(manifest.clock) != set(_CLOCK_TYPES)
                or any(not isinstance(manifest.clock[k], t) or isinstance(manifest.clock[k], bool)
                       for k, t in _CLOCK_TYPES.items())
                or protocol.text_problem(manifest.clock["boot_id"])):
            raise ValueError("clock")
    except (ValueError, TypeError):
        raise BacklogError("bad_manifest", path=path) from None
    if manifest.format != FORMAT or manifest.version != VERSION or \
            manifest.protocol != protocol.PROTOCOL_VERSION:
        raise BacklogError("unsupported", path=path,
                           found=f"{manifest.format} {manifest.version}")
    return manifest


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
