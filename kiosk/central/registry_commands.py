"""``kiosk-central checkpoints …``: import the province's list of points, add, edit, close
and list them (see :mod:`kiosk.central.registry`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

from kiosk.central import registry
from kiosk.central.audit import Actor, command_actor
from kiosk.central.registry import Checkpoint, RegistryError
from kiosk.commandline import examples, open_central, print_table
from kiosk.messages import Number, both

if TYPE_CHECKING:
    from kiosk.central.storage import Storage

EXIT_REFUSED = 1
PROBLEMS_SHOWN = 200


def cmd_import(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        try:
            points = registry.parse_rows(registry.read_table(args.file))
            if args.dry_run:
                print(both("central.checkpoints.valid", file=args.file,
                           count=Number(len(points))))
                return 0
            outcome = _upsert(storage, points)
        except (RegistryError, OSError) as exc:
            return _refused(args.file, exc)
    print(both("central.checkpoints.imported", file=args.file, added=Number(outcome.added),
               changed=Number(outcome.changed), unchanged=Number(outcome.unchanged)))
    return 0


def _upsert(storage: Storage, points: list[Checkpoint]) -> registry.ImportOutcome:
    """Store ``points`` as of the centre's local day, by the user running the command."""
    return registry.upsert(storage, points, today=storage.today().isoformat(),
                           by=Actor(command_actor(), "cli"))


def _refused(what: str, exc: Exception) -> int:
    print(f"{both('central.refused')} {what}: {exc}", file=sys.stderr)
    problems = getattr(exc, "problems", [])
    for problem in [p for p in problems if p.row][:PROBLEMS_SHOWN]:
        print(f"  {problem}", file=sys.stderr)
    if len(problems) > PROBLEMS_SHOWN:
        print(f"  … {both('central.more', count=len(problems) - PROBLEMS_SHOWN)}",
              file=sys.stderr)
    return EXIT_REFUSED


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The point's fields given on the command line, converted like a file's cells."""
    values = {}
    for name in registry.FIELDS:
        raw = getattr(args, name, None)
        if raw is not None and name != "id":
            values[name] = registry.CONVERT[name](raw)
    return values


def cmd_add(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        try:
            if registry.checkpoint(storage, args.id) is not None:
                raise RegistryError("registry.exists", id=repr(args.id))
            point = Checkpoint(id=args.id, **_given(args))
            registry.check(point)
            _upsert(storage, [point])
        except (RegistryError, ValueError) as exc:
            return _refused(args.id, exc)
        stored = registry.checkpoint(storage, args.id)
    print(f"{both('central.added')}: {_line(stored)}")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    def edited(held: Checkpoint, storage: Storage) -> Checkpoint:
        point = replace(held, **_given(args))
        return replace(point, closed_on=None) if args.reopen else point

    point = _change(args, edited)
    if point is None:
        return EXIT_REFUSED
    print(f"{both('central.updated')}: {_line(point)}")
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    def closed(held: Checkpoint, storage: Storage) -> Checkpoint:
        return replace(held, closed_on=registry.parse_date(args.on)
                       or storage.today().isoformat())

    point = _change(args, closed)
    if point is None:
        return EXIT_REFUSED
    print(both("central.checkpoints.closed", checkpoint=point.id, day=point.closed_on))
    return 0


def _change(args: argparse.Namespace, change: Callable[[Checkpoint, Storage], Checkpoint]
            ) -> Checkpoint | None:
    """Apply ``change`` to the point ``args.id`` and store it, checked like an imported
    row; None after saying why it was refused (no such point, or a bad value)."""
    with open_central(args.db) as storage:
        try:
            held = registry.checkpoint(storage, args.id)
            if held is None:
                raise RegistryError("registry.no_such", id=repr(args.id))
            point = change(held, storage)
            registry.check(point)
            _upsert(storage, [point])
        except (RegistryError, ValueError) as exc:
            _refused(args.id, exc)
            return None
    return point


def cmd_list(args: argparse.Namespace) -> int:
    with open_central(args.db) as storage:
        points = registry.checkpoints(storage)
        kiosks: dict[str, int] = {}
        for kiosk in storage.kiosks():
            kiosks[kiosk.checkpoint_id] = kiosks.get(kiosk.checkpoint_id, 0) + 1
    if args.district:
        points = [p for p in points if registry.fold(p.district) == registry.fold(args.district)]
    if not args.all:
        points = [p for p in points if p.closed_on is None]
    if args.json:
        print(json.dumps([{**asdict(p), "kiosks": kiosks.get(p.id, 0)} for p in points],
                         ensure_ascii=False, indent=1))
        return 0
    if not points:
        print(both("central.checkpoints.none"))
        return 0
    print_table("central.columns.checkpoints", _LAYOUT,
                (_cells(point, kiosks.get(point.id, 0)) for point in points))
    return 0


_LAYOUT = "{:20} {:14} {:25} {:>6}  {}"


def _line(point: Checkpoint | None) -> str:
    return "-" if point is None else _LAYOUT.format(*_cells(point, "")).rstrip()


def _cells(point: Checkpoint, kiosks: int | str) -> tuple[object, ...]:
    """A point as a row of ``checkpoints list``: set up → closed (dates only), and the
    name with its commune / district / province."""
    dates = f"{point.set_up_on} → {point.closed_on or ''}"
    place = " / ".join(x for x in (point.commune, point.district, point.province) if x)
    return point.id, point.kind, dates, kiosks, f"{point.name}  ({place})"


def _point_options(parser: argparse.ArgumentParser, set_up_default: str) -> None:
    parser.add_argument("--name", help="tên điểm / name")
    parser.add_argument("--province", help="tỉnh / province")
    parser.add_argument("--district", help="huyện / district")
    parser.add_argument("--commune", help="xã, phường / commune")
    parser.add_argument("--kind", help="loại / kind: " + ", ".join(registry.KINDS))
    parser.add_argument("--address", help="địa chỉ / address")
    parser.add_argument("--latitude", help="vĩ độ / latitude, e.g. 10.776")
    parser.add_argument("--longitude", help="kinh độ / longitude, e.g. 106.700")
    parser.add_argument("--set-up-on", dest="set_up_on", metavar="DATE",
                        help=f"ngày triển khai / date set up, YYYY-MM-DD ({set_up_default})")


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser(
        "checkpoints", help="the registry of checkpoints (points)",
        **examples("kiosk-central checkpoints import docs/checkpoints-sample.csv",
                   "kiosk-central checkpoints list --district 'Đồng Xoài'"))
    sub = group.add_subparsers(dest="action", required=True)
    imp = sub.add_parser(
        "import", parents=[common], help="import the province's list (CSV or XLSX)",
        description="Upsert every row of a CSV or XLSX list of points (Vietnamese or English "
                    "headers). A file with any bad row is refused whole, each problem named "
                    "by row and column.",
        **examples("kiosk-central checkpoints import docs/checkpoints-sample.csv",
                   "kiosk-central checkpoints import diem-quet.xlsx --dry-run"))
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--dry-run", action="store_true", help="check the file, store nothing")
    imp.set_defaults(func=cmd_import)
    add = sub.add_parser("add", parents=[common], help="add one point", **examples(
        "kiosk-central checkpoints add BP-DX-009 --name 'Chốt QL14' --district 'Đồng Xoài' "
        "--kind control_post --set-up-on 2026-11-01"))
    add.add_argument("id")
    _point_options(add, "default: today")
    add.set_defaults(func=cmd_add)
    edit = sub.add_parser(
        "edit", parents=[common], help="change some fields of a point",
        **examples("kiosk-central checkpoints edit CP-001 --name 'Chốt QL14 - cổng 2'",
                   "kiosk-central checkpoints edit CP-001 --reopen"))
    edit.add_argument("id")
    _point_options(edit, "default: the one held is kept; with --reopen, today")
    edit.add_argument("--reopen", action="store_true", help="clear the closing date")
    edit.set_defaults(func=cmd_edit)
    close = sub.add_parser(
        "close", parents=[common], help="close a point: not counted as set up from that day",
        **examples("kiosk-central checkpoints close CP-001",
                   "kiosk-central checkpoints close CP-001 --on 2026-12-01"))
    close.add_argument("id")
    close.add_argument("--on", metavar="DATE", help="closing date (default: today)")
    close.set_defaults(func=cmd_close)
    lst = sub.add_parser(
        "list", parents=[common], help="points and their kiosks",
        **examples("kiosk-central checkpoints list",
                   "kiosk-central checkpoints list --district 'Đồng Xoài' --all --json"))
    lst.add_argument("--json", action="store_true")
    lst.add_argument("--district", help="only this district")
    lst.add_argument("--all", action="store_true", help="include closed points")
    lst.set_defaults(func=cmd_list)
