"""Backlog files: a kiosk's pending entries on a USB stick, for a site with no network.

One ZIP file (any archive tool can list it) holding three members:

``entries.jsonl``
    one wire entry (:func:`kiosk.sync.protocol.entry_to_wire`) per line, oldest first,
    deflate-compressed; written and read as a stream, so a million entries never sit in memory.
``manifest.json``
    format and version, kiosk and checkpoint, creation time, entry count, first and last
    id, and the SHA-256 and size of ``entries.jsonl``.
``manifest.hmac``
    HMAC-SHA256 of ``manifest.json`` keyed with ``protocol.backlog_file_key(token)``.

The centre holds that key for every enrolled kiosk (never the token), so it can tell a file
really came from that kiosk and arrived whole: a flipped byte breaks the SHA-256 (or the
ZIP CRC), a cut-off file has no central directory or a short member, an edited manifest
breaks the HMAC. :meth:`BacklogReader.verify` reads everything once before a single entry
is handed out, so a bad file is refused with nothing from it stored.

Writing a file changes nothing on the kiosk but the label ``sent``: the entries stay in the
pending set until the centre acknowledges them (a later upload then gets ``duplicate``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from kiosk.private_files import open_private
from kiosk.sync import protocol

FORMAT = "checkpoint-kiosk-backlog"
VERSION = 1
ENTRIES, MANIFEST, SIGNATURE = "entries.jsonl", "manifest.json", "manifest.hmac"
_CHUNK = 1 << 20


class BacklogError(ValueError):
    """The file cannot be trusted or read; the message says what is wrong with it."""


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

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1).encode("utf-8")


def sign(key: bytes, manifest_bytes: bytes) -> str:
    return hmac.new(key, manifest_bytes, hashlib.sha256).hexdigest()


def write_backlog(path: str | Path, rows: Iterable[Mapping[str, Any]], *, key: bytes,
                  kiosk_id: str, checkpoint_id: str,
                  progress: Callable[[int], None] | None = None) -> Manifest:
    """Write store rows (oldest first) to ``path`` atomically; returns the manifest.

    The file appears under its name only once complete and flushed to disk (written as
    ``path.part``, fsynced, renamed). Rows of another kiosk are refused: the centre would
    refuse them, and the file is signed as this kiosk's.
    """
    path = Path(path)
    partial = path.with_name(path.name + ".part")
    digest, size, count, first, last = hashlib.sha256(), 0, 0, None, None
    try:
        with open_private(partial, "wb") as raw, zipfile.ZipFile(
                raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            info = zipfile.ZipInfo(ENTRIES, time.localtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                for row in rows:
                    if row["kiosk_id"] != kiosk_id:
                        raise BacklogError(
                            f"entry {row['id']} belongs to kiosk {row['kiosk_id']!r}, not "
                            f"{kiosk_id!r} (was kiosk.id changed?); nothing was exported")
                    line = json.dumps(protocol.entry_to_wire(row), ensure_ascii=False,
                                      separators=(",", ":")).encode("utf-8") + b"\n"
                    member.write(line)
                    digest.update(line)
                    size += len(line)
                    count += 1
                    first = first or row["id"]
                    last = row["id"]
                    if progress and count % 1000 == 0:
                        progress(count)
            manifest = Manifest(
                format=FORMAT, version=VERSION, protocol=protocol.PROTOCOL_VERSION,
                kiosk_id=kiosk_id, checkpoint_id=checkpoint_id,
                created_at=protocol.format_time(dt.datetime.now(dt.UTC)), entries=count,
                first_id=first, last_id=last, entries_sha256=digest.hexdigest(),
                entries_bytes=size)
            manifest_bytes = manifest.to_json()
            archive.writestr(MANIFEST, manifest_bytes)
            archive.writestr(SIGNATURE, sign(key, manifest_bytes) + "\n")
        _fsync_file(partial)
        os.replace(partial, path)
        _fsync_dir(path.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if progress:
        progress(count)
    return manifest


class BacklogReader:
    """Open a backlog file, check it against a kiosk's key, then stream its entries.

    Use as a context manager. ``manifest`` is readable before verification (to find which
    kiosk's key to use) but is not to be trusted until :meth:`verify` returned.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._verified = False
        try:
            self._file: BinaryIO = open(self.path, "rb")  # noqa: SIM115 — closed by close()
        except OSError as exc:
            raise BacklogError(f"{self.path}: cannot open: {exc.strerror or exc}") from None
        try:
            self._zip = zipfile.ZipFile(self._file)
            names = set(self._zip.namelist())
            missing = sorted({ENTRIES, MANIFEST, SIGNATURE} - names)
            if missing:
                raise BacklogError(f"{self.path}: not a kiosk backlog file ({missing[0]} "
                                   f"missing)")
            self._manifest_bytes = self._zip.read(MANIFEST)
            self._signature = self._zip.read(SIGNATURE).strip()
            self.manifest = _parse_manifest(self.path, self._manifest_bytes)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as exc:
            self.close()
            raise BacklogError(f"{self.path}: truncated or damaged file ({exc}); refused") \
                from None
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> BacklogReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if getattr(self, "_zip", None) is not None:
            self._zip.close()
        self._file.close()

    def verify(self, key: bytes) -> Manifest:
        """Check signature, size, digest, count, ids and kiosk of every entry; raise if any fail."""
        if not hmac.compare_digest(sign(key, self._manifest_bytes).encode(), self._signature):
            raise BacklogError(
                f"{self.path}: signature does not match kiosk {self.manifest.kiosk_id!r}'s "
                f"key: the file was altered, or it was not written by that kiosk; refused")
        count = 0
        for _ in self._lines(check=True):
            count += 1
        if count != self.manifest.entries:
            raise BacklogError(f"{self.path}: {count} entries, the manifest says "
                               f"{self.manifest.entries}; refused")
        self._verified = True
        return self.manifest

    def batches(self, size: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Wire entries in batches of ``size``, oldest first; only after :meth:`verify`.

        The data is hashed again on this pass: if the file changed on disk since
        :meth:`verify`, BacklogError is raised at the end.
        """
        if not self._verified:
            raise BacklogError(f"{self.path}: entries read before the file was verified")
        batch: list[dict[str, Any]] = []
        for entry in self._lines(check=False):
            batch.append(entry)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _lines(self, *, check: bool) -> Iterator[dict[str, Any]]:
        manifest = self.manifest
        digest, size, previous = hashlib.sha256(), 0, ""
        try:
            with self._zip.open(ENTRIES) as member:
                pending = b""
                while chunk := member.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    if size > manifest.entries_bytes:
                        raise BacklogError(f"{self.path}: more entry data than the manifest "
                                           f"says; refused")
                    *lines, pending = (pending + chunk).split(b"\n")
                    for line in lines:
                        entry = self._entry(line, previous) if check else json.loads(line)
                        previous = entry["id"]
                        yield entry
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
            raise BacklogError(f"{self.path}: damaged entry data ({exc}); refused") from None
        if pending or size != manifest.entries_bytes or \
                digest.hexdigest() != manifest.entries_sha256:
            raise BacklogError(f"{self.path}: entry data differs from what was signed "
                               f"(altered or truncated); refused")

    def _entry(self, line: bytes, previous: str) -> dict[str, Any]:
        """Parse one line during verification: JSON object, ascending id, this kiosk's."""
        try:
            entry = json.loads(line)
        except ValueError:
            raise BacklogError(f"{self.path}: an entry line is not JSON; refused") from None
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise BacklogError(f"{self.path}: an entry line has no id; refused")
        if entry["id"] <= previous:
            raise BacklogError(f"{self.path}: entry {entry['id']} out of order; refused")
        if entry.get("kiosk_id") != self.manifest.kiosk_id:
            raise BacklogError(f"{self.path}: entry {entry['id']} is not kiosk "
                               f"{self.manifest.kiosk_id!r}'s; refused")
        return entry


def _parse_manifest(path: Path, data: bytes) -> Manifest:
    try:
        obj = json.loads(data)
        manifest = Manifest(**obj)
    except (ValueError, TypeError):
        raise BacklogError(f"{path}: unreadable manifest; refused") from None
    if manifest.format != FORMAT:
        raise BacklogError(f"{path}: not a kiosk backlog file (format {manifest.format!r})")
    if manifest.version != VERSION or manifest.protocol != protocol.PROTOCOL_VERSION:
        raise BacklogError(f"{path}: backlog format v{manifest.version} / protocol "
                           f"{manifest.protocol} is not supported by this program (v{VERSION}"
                           f" / {protocol.PROTOCOL_VERSION}); upgrade it")
    return manifest


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
