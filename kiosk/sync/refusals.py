"""Refusals files: the entries ``kiosk-central import`` refused, carried back on the stick.

A site with no network learns which of its entries the centre refused only from this file:
``kiosk-central import`` writes it beside the backlog file (``FILE.refused``, or into
``--refusals-to``), and ``kiosk sync load-refusals FILE`` marks those entries refused on the
kiosk, so ``kiosk sync status`` lists them and ``kiosk sync retry-rejected`` works offline.

JSON: ``format``, ``version``, ``kiosk``, ``answers`` (which backlog file it answers),
``complete`` (false: the import was cut short, only the entries answered before the stop
are in it), ``refused`` (per entry its id and the centre's answer — ``reason``, ``code``,
``params`` — as an upload's answer carries them, less any value of the entry,
:meth:`Refusal.unquoted`: the file is in clear on a stick that may be lost, where the
backlog file is sealed; field names, limits, times, kiosk and checkpoint ids stay) and
``mac``.

The centre holds no signing key, yet the file is bound to the backlog file it answers by
what only the kiosk and the centre know: the SHA-256 of that file's entries, which is sealed
in it (its manifest) and which the kiosk keeps in its export's audit record. ``answers`` is
a hash of it (naming the file without giving it away), ``mac`` an HMAC keyed with it. So a
refusals file another kiosk's import wrote, or one for a file this kiosk has no record of,
or one altered or made up on the stick (ids added, another kiosk named), is refused whole.
Whoever holds the entries' digest (the kiosk, the centre) could still write one; and even a
file taken as genuine only ever marks entries still waiting (pending or exported) as
refused, never delivered: at worst entries wait until ``retry-rejected``, none is lost.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from kiosk.messages import WordedError, Words, shown_name
from kiosk.private_files import open_fresh
from kiosk.sync.protocol import Refusal

FORMAT = "checkpoint-kiosk-refusals"
VERSION = 2
SUFFIX = ".refused"
MAX_BYTES = 256 << 20
"""A refusals file larger than this is refused unread (a million entries' take ~150 MB)."""


_ANSWERS = b"checkpoint-kiosk-refusals 2 answers\n"
_MAC = b"checkpoint-kiosk-refusals 2 mac\n"


class RefusalsError(WordedError):
    """A refusals file that cannot be read, is not one (or one of an older format, from a
    centre not yet upgraded), or does not answer a file this kiosk exported
    (``sync.refusals_unreadable``, ``…_not_one``, ``…_old_format``, ``…_other_file``,
    ``…_altered``)."""


def answers(entries_sha256: str) -> str:
    """How a refusals file names the backlog file it answers: a hash of the SHA-256 of its
    entries (their digest itself is the key of the ``mac``)."""
    return hashlib.sha256(_ANSWERS + entries_sha256.encode("ascii")).hexdigest()


def _mac(entries_sha256: str, body: dict[str, Any]) -> str:
    """The HMAC of ``body`` (as canonical JSON) keyed with the entries' digest."""
    text = json.dumps(body, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return hmac.new(entries_sha256.encode("ascii"), _MAC + text.encode("ascii"),
                    hashlib.sha256).hexdigest()


def write(path: Path, *, kiosk_id: str, entries_sha256: str,
          refused: Iterable[dict[str, Any]], complete: bool) -> None:
    """Write the file whole under a temporary name, then give it ``path`` (replacing an
    earlier import's: the latest answer is the one to carry); the answers ``refused`` with
    no value of their entries."""
    body = {"format": FORMAT, "version": VERSION, "kiosk": kiosk_id,
            "answers": answers(entries_sha256), "complete": complete,
            "refused": [{"id": answer.get("id"),
                         **Refusal.from_answer(answer).unquoted().answer()}
                        for answer in refused]}
    part = path.with_name(path.name + ".part")
    with open_fresh(part) as out:  # ASCII: a lone surrogate in a field name is written too
        out.write(json.dumps({**body, "mac": _mac(entries_sha256, body)}).encode("ascii"))
        out.flush()
        os.fsync(out.fileno())
    os.replace(part, path)


def answered_whole(path: Path, entries_sha256: str) -> bool:
    """Whether ``path`` holds a complete answer to the backlog file of ``entries_sha256``
    (an earlier import's, every entry answered): a re-import of it cut short, which
    answered fewer, does not replace it (:func:`kiosk.central.importer.write_refusals`)."""
    try:
        return read(path, (entries_sha256,)).complete
    except RefusalsError:
        return False


class Refusals(NamedTuple):
    kiosk_id: str
    refused: dict[str, Words | str]
    """Each refused entry's id with its reason (as an upload's answer is kept:
    :meth:`Refusal.words`)."""
    complete: bool
    """False: the import was cut short, entries after the stop not answered yet."""


def read(path: str | Path, exported: Collection[str]) -> Refusals:
    """What a refusals file says, once it proved to answer a file this kiosk exported.
    ``exported``: the entries' SHA-256
    of each backlog file this kiosk wrote (:meth:`kiosk.store.Store.exported_files`); a
    file answering none of them, or whose ``mac`` is not the centre's, is refused."""
    name = shown_name(str(path))
    try:
        with open(path, "rb") as source:
            data = source.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RefusalsError("sync.refusals_unreadable", path=name,
                            detail=exc.strerror or exc) from exc
    if len(data) > MAX_BYTES:
        raise RefusalsError("sync.refusals_not_one", path=name)
    try:
        document = json.loads(data.decode("utf-8"))
    except ValueError as exc:  # not UTF-8, not JSON
        raise RefusalsError("sync.refusals_unreadable", path=name, detail=exc) from exc
    if isinstance(document, dict) and document.get("format") == FORMAT and isinstance(
            version := document.get("version"), int) and 0 < version < VERSION:
        raise RefusalsError("sync.refusals_old_format", path=name, version=version)
    if not (isinstance(document, dict) and document.get("format") == FORMAT
            and document.get("version") == VERSION and isinstance(document.get("kiosk"), str)
            and isinstance(document.get("answers"), str)
            and isinstance(document.get("complete"), bool)
            and isinstance(document.get("mac"), str)
            and isinstance(document.get("refused"), list)
            and all(_answer(item) for item in document["refused"])):
        raise RefusalsError("sync.refusals_not_one", path=name)
    digest = next((sha for sha in exported if answers(sha) == document["answers"]), None)
    if digest is None:
        raise RefusalsError("sync.refusals_other_file", path=name, kiosk=document["kiosk"])
    body = {key: value for key, value in document.items() if key != "mac"}
    if not hmac.compare_digest(_mac(digest, body), document["mac"]):
        raise RefusalsError("sync.refusals_altered", path=name)
    return Refusals(document["kiosk"], {item["id"]: Refusal.from_answer(item).words()
                                        for item in document["refused"]},
                    document["complete"])


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
