"""Refusals files: the entries ``kiosk-central import`` refused, carried back on the stick.

A site with no network learns which of its entries the centre refused only from this file:
``kiosk-central import`` writes it beside the backlog file (``FILE.refused``, or into
``--refusals-to``), and ``kiosk sync load-refusals FILE`` marks those entries refused on the
kiosk, so ``kiosk sync status`` lists them and ``kiosk sync retry-rejected`` works offline.

JSON: ``format``, ``version``, ``kiosk``, the backlog file's ``entries_sha256``, and
``refused``: per entry its id and the centre's answer (``reason``, ``code``, ``params``) as
an upload's answer carries them, less any value of the entry (:meth:`Refusal.unquoted`: the
file is in clear on a stick that may be lost, where the backlog file is sealed): field
names, limits, times, kiosk and checkpoint ids; nothing else of the entry. Not signed
(the centre holds no signing key): loading one only ever marks entries still waiting
(pending or exported) as refused, never as delivered, so a forged file can hold entries
back until ``retry-rejected``, never lose one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kiosk.messages import WordedError, Words, shown_name
from kiosk.private_files import open_fresh
from kiosk.sync.protocol import Refusal

FORMAT = "checkpoint-kiosk-refusals"
VERSION = 1
SUFFIX = ".refused"
MAX_BYTES = 256 << 20
"""A refusals file larger than this is refused unread (a million entries' take ~150 MB)."""


class RefusalsError(WordedError):
    """A refusals file that cannot be read or is not one (``sync.refusals_unreadable``)."""


def write(path: Path, *, kiosk_id: str, entries_sha256: str,
          refused: Iterable[dict[str, Any]]) -> None:
    """Write the file whole under a temporary name, then give it ``path`` (replacing an
    earlier import's: the latest answer is the one to carry); the answers ``refused`` with
    no value of their entries."""
    part = path.with_name(path.name + ".part")
    with open_fresh(part) as out:
        out.write(json.dumps({
            "format": FORMAT, "version": VERSION, "kiosk": kiosk_id,
            "entries_sha256": entries_sha256,
            "refused": [{"id": answer.get("id"),
                         **Refusal.from_answer(answer).unquoted().answer()}
                        for answer in refused]}, ensure_ascii=False).encode("utf-8"))
        out.flush()
        os.fsync(out.fileno())
    os.replace(part, path)


def read(path: str | Path) -> tuple[str, dict[str, Words | str]]:
    """The kiosk a refusals file answers, and each refused entry's id with its reason (as
    an upload's answer is kept: :meth:`Refusal.words`)."""
    try:
        with open(path, "rb") as source:
            data = source.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RefusalsError("sync.refusals_unreadable", path=shown_name(str(path)),
                            detail=exc.strerror or exc) from exc
    if len(data) > MAX_BYTES:
        raise RefusalsError("sync.refusals_not_one", path=shown_name(str(path)))
    try:
        document = json.loads(data.decode("utf-8"))
    except ValueError as exc:  # not UTF-8, not JSON
        raise RefusalsError("sync.refusals_unreadable", path=shown_name(str(path)),
                            detail=exc) from exc
    if not (isinstance(document, dict) and document.get("format") == FORMAT
            and document.get("version") == VERSION and isinstance(document.get("kiosk"), str)
            and isinstance(document.get("refused"), list)
            and all(_answer(item) for item in document["refused"])):
        raise RefusalsError("sync.refusals_not_one", path=shown_name(str(path)))
    return document["kiosk"], {item["id"]: Refusal.from_answer(item).words()
                               for item in document["refused"]}


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
