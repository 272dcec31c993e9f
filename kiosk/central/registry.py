"""The checkpoint registry: the province's list of points set up for scanning.

A point counts as *set up* on local day D when ``set_up_on <= D`` and it was not closed on
or before D (``closed_on``). The row holds the point as it is now; its history (place and
kind from the day each change took effect, every period it was set up) is kept for the
reports of past days (:func:`upsert`). Imports take the province's own spreadsheet (CSV or
XLSX, with Vietnamese or English headers): every row is checked first, and a file with any
bad row is refused whole with each row's number, column and reason, so nothing is ever
half-imported.
Importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from kiosk.central.audit import Actor, append_checkpoint
from kiosk.central.placeholders import slots
from kiosk.central.storage import ID_RE, Storage
from kiosk.messages import WordedError, Words, both

KINDS: dict[str, tuple[str, ...]] = {
    # kind: names it goes by in the province's lists (folded: no accents, lower case)
    "control_post": ("control post", "checkpoint", "chot", "chot kiem soat", "chot kiem dich"),
    "office": ("office", "co quan", "van phong", "tru so", "uy ban"),
    "factory": ("factory", "nha may", "xi nghiep", "doanh nghiep", "khu cong nghiep"),
    "market": ("market", "cho", "sieu thi", "cua hang", "trung tam thuong mai"),
    "school": ("school", "truong", "truong hoc"),
    "hospital": ("hospital", "benh vien", "tram y te", "co so y te", "phong kham"),
    "station": ("station", "ben xe", "nha ga", "ga", "cang", "san bay"),
    "event": ("event", "su kien"),
    "other": ("other", "khac", ""),
}
KIND_LABELS = {"control_post": "Chốt kiểm soát", "office": "Cơ quan", "factory": "Nhà máy",
               "market": "Chợ / siêu thị", "school": "Trường học", "hospital": "Cơ sở y tế",
               "station": "Bến xe / nhà ga", "event": "Sự kiện", "other": "Khác"}


@dataclass(frozen=True)
class Checkpoint:
    id: str
    name: str
    province: str = ""
    district: str = ""
    commune: str = ""
    kind: str = "other"
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    set_up_on: str | None = None
    """Local date ``YYYY-MM-DD`` the point was set up; None in a file keeps what is held."""
    closed_on: str | None = None
    """Local date it closed (no longer counted from that day); None while active."""

    def set_up(self, day: str) -> bool:
        """Whether the point counts as set up on local day ``day`` (``YYYY-MM-DD``)."""
        return (self.set_up_on is not None and self.set_up_on <= day
                and (self.closed_on is None or self.closed_on > day))


FIELDS = tuple(f.name for f in fields(Checkpoint))
HEADERS: dict[str, tuple[str, ...]] = {
    # field: accepted headers (folded); the first Vietnamese one is what exports write
    "id": ("ma diem", "ma", "id", "checkpoint id", "code", "ma dia diem"),
    "name": ("ten diem", "ten", "name", "ten dia diem"),
    "province": ("tinh", "tinh thanh pho", "tinh/thanh pho", "province"),
    "district": ("huyen", "quan huyen", "quan/huyen", "huyen/thi xa/thanh pho", "district"),
    "commune": ("xa", "xa phuong", "xa/phuong", "xa/phuong/thi tran", "phuong xa", "commune",
                "ward"),
    "kind": ("loai", "loai dia diem", "loai hinh", "kind", "type", "kind of place"),
    "address": ("dia chi", "address"),
    "latitude": ("vi do", "latitude", "lat"),
    "longitude": ("kinh do", "longitude", "lon", "lng"),
    "set_up_on": ("ngay trien khai", "ngay thiet lap", "ngay lap", "set up on", "set up",
                  "setup date", "set up date"),
    "closed_on": ("ngay dong", "ngay ngung", "closed on", "closed", "close date"),
}
HEADER_LABELS = {"id": "Mã điểm", "name": "Tên điểm", "province": "Tỉnh", "district": "Huyện",
                 "commune": "Xã", "kind": "Loại địa điểm", "address": "Địa chỉ",
                 "latitude": "Vĩ độ", "longitude": "Kinh độ", "set_up_on": "Ngày triển khai",
                 "closed_on": "Ngày đóng"}
MAX_TEXT = 500


class RegistryError(WordedError, ValueError):
    """A registry file, cell or command that cannot be applied (``registry.*``);
    ``problems`` lists every reason."""

    def __init__(self, code: str, problems: Sequence[Problem] = (), /,
                 **params: object) -> None:
        super().__init__(code, **params)
        self.problems = list(problems)


@dataclass(frozen=True)
class Problem:
    row: int
    """Row number as the spreadsheet shows it (the header is row 1)."""
    column: str
    reason: Words

    def __str__(self) -> str:
        return both("registry.problem_at", row=self.row, column=repr(self.column),
                    reason=self.reason)


def fold(text: str) -> str:
    """Lower case, no Vietnamese accents, single spaces: how headers and kinds are matched."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[\s_\-.:]+", " ", text).strip()


_HEADER_FIELD = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
_KIND_OF = {alias: kind for kind, aliases in KINDS.items() for alias in (kind, *aliases)}
_KIND_OF.update({fold(label): kind for kind, label in KIND_LABELS.items()})
_KIND_OF.update({fold(kind.replace("_", " ")): kind for kind in KINDS})


# -- reading files ---------------------------------------------------------------------------
def read_table(path: str | Path) -> list[list[Any]]:
    """The rows of a CSV (UTF-8, UTF-8 with BOM or UTF-16; comma, semicolon or tab) or of an
    XLSX file's first sheet, header row first."""
    path = Path(path)
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RegistryError("registry.not_text", path=path)
    if encoding == "utf-16" and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise RegistryError("registry.not_utf8", path=path)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _read_xlsx(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RegistryError("registry.bad_xlsx", detail=exc) from exc
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def parse_rows(table: Sequence[Sequence[Any]]) -> list[Checkpoint]:
    """Checkpoints from a table whose first row is the header; RegistryError listing every
    problem (unknown/missing headers, bad cells, ids repeated) if there is any."""
    if not table:
        raise RegistryError("registry.empty")
    columns: dict[int, str] = {}
    problems: list[Problem] = []
    for index, header in enumerate(table[0]):
        label = "" if header is None else str(header)
        if not label.strip():
            continue
        name = _HEADER_FIELD.get(fold(label))
        if name is None:
            problems.append(Problem(1, label, Words("registry.unknown_column", {
                "known": ", ".join(HEADER_LABELS.values())})))
        elif name in columns.values():
            problems.append(Problem(1, label, Words("registry.column_twice")))
        else:
            columns[index] = name
    for required in ("id", "name"):
        if required not in columns.values():
            problems.append(Problem(1, HEADER_LABELS[required],
                                    Words("registry.column_missing")))
    if problems:
        raise RegistryError("registry.bad_header", problems)
    headers = {name: str(table[0][index]) for index, name in columns.items()}
    seen: dict[str, int] = {}
    points = []
    for number, row in enumerate(table[1:], start=2):
        cells = {name: (row[index] if index < len(row) else None)
                 for index, name in columns.items()}
        if all(_blank(v) for v in cells.values()):
            continue
        point, row_problems = _checkpoint(number, cells, headers)
        if point.id and point.id in seen:
            row_problems.append(Problem(number, headers["id"], Words(
                "registry.id_repeated", {"id": repr(point.id), "row": seen[point.id]})))
        seen.setdefault(point.id, number)
        problems.extend(row_problems)
        points.append(point)
    if problems:
        raise RegistryError("registry.rows_refused", problems,
                            count=len({p.row for p in problems}))
    return points


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _checkpoint(row: int, cells: dict[str, Any], headers: dict[str, str]
                ) -> tuple[Checkpoint | None, list[Problem]]:
    values: dict[str, Any] = {}
    problems = []
    for name, raw in cells.items():
        try:
            values[name] = CONVERT[name](raw)
        except RegistryError as exc:
            problems.append(Problem(row, headers[name], exc.words))
    point = Checkpoint(**{"id": "", "name": "", **values})
    try:
        check(point)
    except RegistryError as exc:
        bad = {p.column for p in problems}
        problems += [Problem(row, headers.get(p.column, HEADER_LABELS[p.column]), p.reason)
                     for p in exc.problems if headers.get(p.column) not in bad]
    return point, problems


# -- cell values ------------------------------------------------------------------------------
def _typed(raw: Any) -> str | None:
    """How a spreadsheet's TRUE/FALSE, date, time or duration cell is named, None for text
    or a number (bool is an int to Python, so TRUE would pass for 1)."""
    if isinstance(raw, bool):
        return repr(str(raw).upper())
    return None if isinstance(raw, str | int | float) else repr(str(raw))


def _text(raw: Any) -> str:
    """A cell's text, spaces collapsed; a number-typed cell as its digits. A TRUE/FALSE or
    date/time cell is refused, not stored as "True" or "2021-08-01 00:00:00"."""
    if raw is None:
        return ""
    if (typed := _typed(raw)) is not None:
        raise RegistryError("registry.not_text_cell", value=typed)
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a spreadsheet's number-typed id
    text = " ".join(str(raw).split())
    if len(text) > MAX_TEXT:
        raise RegistryError("registry.too_long", max=MAX_TEXT)
    return text


def _kind(raw: Any) -> str:
    text = fold(_text(raw))
    kind = _KIND_OF.get(text)
    if kind is None:
        raise RegistryError("registry.unknown_kind", kind=repr(_text(raw)), known=", ".join(
            f"{k} ({KIND_LABELS[k]})" for k in KINDS))
    return kind


def _coordinate(raw: Any) -> float | None:
    """A number or its text (decimal point or comma). A spreadsheet's TRUE/FALSE is refused,
    not read as 1/0 (bool is an int in Python), and so is a date, time or duration cell."""
    if _blank(raw):
        return None
    if (typed := _typed(raw)) is not None:
        raise RegistryError("registry.not_number", value=typed)
    if isinstance(raw, int | float):
        return float(raw)
    text = raw.strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # Vietnamese decimal comma
    try:
        return float(text)
    except ValueError:
        raise RegistryError("registry.not_number", value=repr(text)) from None


def parse_date(raw: Any) -> str | None:
    """``YYYY-MM-DD``, ``DD/MM/YYYY`` or a spreadsheet date → ``YYYY-MM-DD``; blank → None."""
    if _blank(raw):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = str(raw).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise RegistryError("registry.bad_date", value=repr(text))


def _words(raw: Any) -> str:
    """A name or place as :func:`_text`, in Unicode's composed form (NFC): Vietnamese typed
    with a combining-accent input method ("Unicode tổ hợp"), or a sheet saved on a Mac, spells
    "Đồng Xoài" in other code points that look the same, and a district so spelled was another
    district to the reports and to its officers' scope. Not the id, which kiosks send as
    enrolled."""
    return unicodedata.normalize("NFC", _text(raw))


CONVERT = {"id": _text, "name": _words, "province": _words, "district": _words,
           "commune": _words, "kind": _kind, "address": _words, "latitude": _coordinate,
           "longitude": _coordinate, "set_up_on": parse_date, "closed_on": parse_date}


def check(point: Checkpoint) -> None:
    """RegistryError (problems on row 0) unless ``point`` may be stored as it is."""
    problems = []
    if not ID_RE.fullmatch(point.id):
        problems.append(Problem(0, "id", Words("registry.bad_id", {"id": repr(point.id)})))
    if not point.name:
        problems.append(Problem(0, "name", Words("registry.no_name")))
    if point.kind not in KINDS:
        problems.append(Problem(0, "kind", Words("registry.bad_kind", {"kind": repr(point.kind)})))
    if (point.latitude is None) != (point.longitude is None):
        problems.append(Problem(0, "latitude" if point.latitude is None else "longitude",
                                Words("registry.both_coordinates")))
    for name, most in (("latitude", 90), ("longitude", 180)):
        value = getattr(point, name)
        if value is not None and not -most <= value <= most:
            problems.append(Problem(0, name, Words("registry.outside", {
                "value": value, "low": -most, "high": most})))
    if point.closed_on and point.set_up_on and point.closed_on < point.set_up_on:
        problems.append(Problem(0, "closed_on", Words("registry.closed_before", {
            "closed": point.closed_on, "set_up": point.set_up_on})))
    if problems:
        listed = functools.reduce(lambda first, second: Words("registry.and", {
            "first": first, "second": second}), [Words("registry.column_problem", {
                "column": p.column, "reason": p.reason}) for p in problems])
        raise RegistryError("registry.point_refused", problems, listed=listed)


# -- the registry in storage -----------------------------------------------------------------
_COLUMNS = ", ".join(FIELDS)
_UPSERT = (f"INSERT INTO checkpoints ({_COLUMNS}, created_at) VALUES "
           f"({slots(len(FIELDS) + 1)}) ON CONFLICT (id) DO UPDATE SET "
           + ", ".join(f"{name} = excluded.{name}" for name in FIELDS
                       if name not in ("id", "set_up_on"))
           + ", set_up_on = COALESCE(excluded.set_up_on, checkpoints.set_up_on)")


def checkpoints(storage: Storage) -> list[Checkpoint]:
    return [Checkpoint(*row) for row in
            storage._query(f"SELECT {_COLUMNS} FROM checkpoints ORDER BY id")]


def named(point: Checkpoint, folded: str) -> bool:
    """Whether ``folded`` (:func:`fold`) is in the point's id or name, as a person searching
    types either, without accents."""
    return folded in fold(f"{point.id} {point.name}")


def looked_up(storage: Storage, q: str, *, district: str | None, limit: int
              ) -> list[Checkpoint]:
    """The first ``limit`` points (by id) whose id or name holds ``q`` (:func:`named`), of
    ``district`` only when given: what a box naming a point offers as its user types."""
    folded = fold(q)
    return [p for p in checkpoints(storage)
            if (district is None or p.district == district) and named(p, folded)][:limit]


def districts(storage: Storage) -> list[str]:
    """The districts the registry's points are in or were in (a point moved: the district it
    left keeps its officer, who reads the point's earlier days), sorted (none before the
    import)."""
    return [row[0] for row in storage._query(
        "SELECT district FROM checkpoints WHERE district <> '' UNION "
        "SELECT district FROM checkpoint_versions WHERE district <> '' ORDER BY 1")]


def nearest(text: str, known: list[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``known`` nearest ``text``, compared :func:`fold`-ed (no accents, one
    space): what a mistyped name most likely meant, the same letters first."""
    folded = {name: fold(name) for name in known}
    same = [name for name, f in folded.items() if f == fold(text)]
    close = difflib.get_close_matches(fold(text), list(folded.values()), n=n, cutoff=0.6)
    return list(dict.fromkeys(same + [name for f in close for name in known
                                      if folded[name] == f]))[:n]


def checkpoint(storage: Storage, checkpoint_id: str) -> Checkpoint | None:
    rows = storage._query(f"SELECT {_COLUMNS} FROM checkpoints WHERE id = $1", (checkpoint_id,))
    return Checkpoint(*rows[0]) if rows else None


@dataclass(frozen=True)
class ImportOutcome:
    added: int
    changed: int
    unchanged: int


def district_days(storage: Storage, checkpoint_id: str, district: str
                  ) -> list[tuple[str, str | None]]:
    """The stretches of local days the point was in ``district`` (its history, v39): (first
    day, the day it left, None if it is still there), in order. A district officer sees a
    point's days in their district, not the days before it moved in or after it moved out,
    as the reports count it."""
    history = storage._query("SELECT from_day, district FROM checkpoint_versions WHERE "
                             "checkpoint_id = $1 ORDER BY from_day", (checkpoint_id,))
    stretches: list[tuple[str, str | None]] = []
    for n, (from_day, was) in enumerate(history):
        if was != district:
            continue
        until = history[n + 1][0] if n + 1 < len(history) else None
        if stretches and stretches[-1][1] == from_day:  # a change of its kind or commune
            from_day = stretches.pop()[0]
        stretches.append((from_day, until))
    return stretches


def upsert(storage: Storage, points: Iterable[Checkpoint], *, today: str, by: Actor
           ) -> ImportOutcome:
    """Insert new points and update held ones, in one transaction, keeping their history
    (:func:`_record_history`) and who added them or changed what reports read of them
    (the audit log's ``checkpoint`` records). A point without a set-up date keeps the one
    held, or gets ``today`` if new; a closed point whose closing date is cleared is reopened
    (:func:`_reopened`)."""
    held = {p.id: p for p in checkpoints(storage)}
    with_history = {c for (c,) in storage._query(
        "SELECT DISTINCT checkpoint_id FROM checkpoint_versions")}
    added = changed = unchanged = 0
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with storage._transaction() as tx:
        for point in points:
            old = held.get(point.id)
            if old is None:
                point = point if point.set_up_on else replace(point, set_up_on=today)
                added += 1
            else:
                point = replace(point, set_up_on=point.set_up_on or old.set_up_on)
                if point == old:
                    unchanged += 1
                    continue
                changed += 1
                point = _reopened(old, point, today)
                if old.id not in with_history:  # added by an enrolment: no history yet
                    _record_history(storage, tx, None, old, today)
            storage._execute(tx, _UPSERT, (*astuple(point), now))
            _record_history(storage, tx, old, point, today)
            if (change := _change(old, point)) is not None:
                append_checkpoint(storage, by=by, subject=f"{point.id}: {change}", tx=tx)
        if added or changed:
            storage._execute(tx, "INSERT INTO settings (key, value) VALUES ($1, $2) "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             (CHANGED_AT, now))
    return ImportOutcome(added, changed, unchanged)


CHANGED_AT = "registry_changed_at"
"""The setting holding when the registry was last changed (a stored UTC time): reports read
past days as the registry has them now (a correction applies to them), so a report kept or
written before is stale (:func:`kiosk.central.reports.changed_since`)."""


def _change(old: Checkpoint | None, new: Checkpoint) -> str | None:
    """What changed of what reports read of a point, for the audit log (None: nothing)."""
    if old is None:
        return "added, " + ", ".join(f"{name} {getattr(new, name)!r}"
                                     for name in (*REPORTED, "set_up_on", "closed_on"))
    changed = [f"{name} {getattr(old, name)!r} → {getattr(new, name)!r}"
               for name in (*REPORTED, "set_up_on", "closed_on")
               if getattr(old, name) != getattr(new, name)]
    return ", ".join(changed) or None


REPORTED = ("province", "district", "commune", "kind")
"""The fields reports group points by: each change kept from the day it took effect."""
SINCE_EVER = "0001-01-01"
"""A point's first version takes effect on every day before the next: what it was before it
was added, or before the upgrade that began its history (v39), is not known."""


def _reopened(old: Checkpoint, new: Checkpoint, today: str) -> Checkpoint:
    """``new`` as stored: a point closed by ``today`` whose closing date is cleared is set
    up again from today, or from the set-up date given with it, never before it closed (its
    closed days stay closed in the reports). Clearing a closing date still to come only
    cancels it."""
    if not _reopening(old, new, today):
        return new
    start = new.set_up_on if new.set_up_on != old.set_up_on and new.set_up_on else today
    return replace(new, set_up_on=max(start, old.closed_on))


def _reopening(old: Checkpoint, new: Checkpoint, today: str) -> bool:
    return old.closed_on is not None and old.closed_on <= today and new.closed_on is None


def _record_history(storage: Storage, tx: Any, old: Checkpoint | None, new: Checkpoint,
                    today: str) -> None:
    """Keep what reports read of ``new`` (``old`` as held before, None if new): its place
    and kind from ``today`` on when they changed (a name or address only changes none), and
    its days set up: a reopening adds a period, other date changes correct the latest."""
    fields_ = tuple(getattr(new, name) for name in REPORTED)
    if old is None or fields_ != tuple(getattr(old, name) for name in REPORTED):
        storage._execute(
            tx, "INSERT INTO checkpoint_versions (checkpoint_id, from_day, province, district, "
                "commune, kind) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (checkpoint_id, "
                "from_day) DO UPDATE SET province = excluded.province, district = "
                "excluded.district, commune = excluded.commune, kind = excluded.kind",
            (new.id, SINCE_EVER if old is None else today, *fields_))
    if old is not None and (old.set_up_on, old.closed_on) == (new.set_up_on, new.closed_on):
        return
    if old is not None and not _reopening(old, new, today):
        storage._execute(tx, "DELETE FROM checkpoint_periods WHERE checkpoint_id = $1 AND "
                             "set_up_on = $2", (new.id, old.set_up_on))
    if new.set_up_on is not None:
        storage._execute(
            tx, "INSERT INTO checkpoint_periods (checkpoint_id, set_up_on, closed_on) VALUES "
                "($1, $2, $3) ON CONFLICT (checkpoint_id, set_up_on) DO UPDATE SET "
                "closed_on = excluded.closed_on", (new.id, new.set_up_on, new.closed_on))


def astuple(point: Checkpoint) -> tuple[Any, ...]:
    return tuple(asdict(point)[name] for name in FIELDS)


def import_file(storage: Storage, path: str | Path, *, today: str, by: Actor) -> ImportOutcome:
    """Read, check every row, then upsert all of them — or raise RegistryError and store
    nothing."""
    return upsert(storage, parse_rows(read_table(path)), today=today, by=by)
