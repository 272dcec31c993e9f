"""A command line `kiosk` or `kiosk-central` cannot take is refused in Vietnamese and English,
as every other refusal of theirs: the technician and the sync operator read Vietnamese, and
argparse says its own refusals in English only. Run as real processes; exit 2, usage before
the refusal, nothing run."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from central_support import CENTRAL

from kiosk import cli
from kiosk.central import cli as central_cli
from kiosk.commandline import CommandParser
from kiosk.devices import camera

KIOSK = [sys.executable, "-m", "kiosk.cli"]


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """``parser`` and every subcommand's parser under it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from parsers(sub)


REFUSED: dict[str, tuple[list[str], str, str, str]] = {
    # case: (command, its command line, the prog that refuses it, the refusal: vi / en)
    "kiosk-unknown-option": (
        KIOSK, "sync push --bogus", "kiosk",
        "không hiểu các tham số: --bogus / unrecognized arguments: --bogus"),
    "kiosk-missing-required": (
        KIOSK, "sync export", "kiosk sync export",
        "thiếu các tham số bắt buộc: --to / the following arguments are required: --to"),
    "kiosk-bad-choice": (
        KIOSK, "export --format pdf", "kiosk export",
        "tham số --format: lựa chọn không hợp lệ: 'pdf' (chọn một trong 'csv', 'xlsx') / "
        "argument --format: invalid choice: 'pdf' (choose from 'csv', 'xlsx')"),
    "kiosk-bad-typed-value": (
        KIOSK, "stats --date 2026-13-01", "kiosk stats",
        "tham số --date: '2026-13-01': cần một ngày YYYY-MM-DD / "
        "argument --date: '2026-13-01': expected a date, YYYY-MM-DD"),
    "kiosk-option-without-value": (
        KIOSK, "entries --limit", "kiosk entries",
        "tham số --limit: cần một giá trị / argument --limit: expected one argument"),
    # Bytes that are not UTF-8 (a Latin-1 terminal; Python keeps them as surrogates) in
    # any text option: each ended in a UnicodeEncodeError, some after the audit was opened.
    "kiosk-operator-not-utf8": (
        KIOSK, "entries --reveal --operator Tr\udce0n", "kiosk entries",
        "--operator 'Tr\\xe0n': văn bản không phải UTF-8 (hãy đặt bảng mã của terminal là "
        "UTF-8) / --operator 'Tr\\xe0n': the text is not UTF-8 (set the terminal's encoding "
        "to UTF-8)"),
    "kiosk-search-not-utf8": (
        KIOSK, "entries --all --search Nguy\udcean", "kiosk entries",
        "--search 'Nguy\\xean': văn bản không phải UTF-8"),
    "kiosk-subject-not-utf8": (
        KIOSK, "entries --subject \udcff", "kiosk entries",
        "--subject '\\xff': văn bản không phải UTF-8"),
    "kiosk-kiosk-id-not-utf8": (
        KIOSK, "sync export --kiosk-id \udcff --to x.backlog", "kiosk sync export",
        "--kiosk-id '\\xff': văn bản không phải UTF-8"),
    "central-name-not-utf8": (
        CENTRAL, "trace --name Tr\udce0n --birth-year 1990 --reason r", "kiosk-central trace",
        "--name 'Tr\\xe0n': văn bản không phải UTF-8"),
    "central-output-not-utf8": (  # a file to read is named as the system gives it
        CENTRAL, "trace --document 1 --reason r -o \udcff.csv", "kiosk-central trace",
        "-o/--output '\\xff.csv': văn bản không phải UTF-8"),  # (test_sync_backlog: latin1)
    "kiosk-long-value-not-utf8": (  # shown around its first odd byte
        KIOSK, "entries --all --search " + "a" * 50 + "\udce9" + "b" * 30, "kiosk entries",
        "--search '…" + "a" * 20 + "\\xe9" + "b" * 19 + "…': văn bản không phải UTF-8"),
    "central-unknown-option": (
        CENTRAL, "audit list --bogus", "kiosk-central",
        "không hiểu các tham số: --bogus / unrecognized arguments: --bogus"),
    "central-missing-required": (
        CENTRAL, "trace --document 001099000001", "kiosk-central trace",
        "thiếu các tham số bắt buộc: --reason / the following arguments are required: --reason"),
    "central-typed-value-naming-its-option": (
        CENTRAL, "audit list --limit 5x", "kiosk-central audit list",
        "--limit '5x': cần một số nguyên viết bằng chữ số 0-9 / "
        "--limit '5x': expected a whole number in digits 0-9"),
    "central-bad-choice": (
        CENTRAL, "audit list --kind everything", "kiosk-central audit list",
        "tham số --kind: lựa chọn không hợp lệ: 'everything' (chọn một trong "),
    "central-bad-typed-value": (
        CENTRAL, "serve --db-pool 0", "kiosk-central serve",
        "tham số --db-pool: '0': cần số kết nối từ 1 đến 100 / "
        "argument --db-pool: '0': expected a number of connections from 1 to 100"),
    "central-exclusive-options": (
        CENTRAL, "trace --document 1 --name An --reason r", "kiosk-central trace",
        "tham số --name: không dùng cùng được với tham số --document / "
        "argument --name: not allowed with argument --document"),
    "central-unknown-command": (
        CENTRAL, "reprot", "kiosk-central",
        "tham số command: lựa chọn không hợp lệ: 'reprot' (chọn một trong "),
}


@pytest.mark.parametrize(("command", "line", "prog", "refusal"), REFUSED.values(), ids=REFUSED)
def test_a_command_line_refused_says_why_in_vietnamese_then_english(
        tmp_path: Path, command: list[str], line: str, prog: str, refusal: str) -> None:
    """``prog: lỗi / error: <vi> / <en>`` after the usage, as argparse's own ``prog: error:``,
    exit 2; the store or the database the command names is not touched."""
    args = line.split()
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "kiosk.db"}"\n', encoding="utf-8")
    where = ["--config", str(config)] if command is KIOSK else [
        "--db", f"sqlite:///{tmp_path / 'central.db'}"]
    given = [*args, *where] if "--bogus" not in args and args != ["reprot"] else args
    refused = subprocess.run([*command, *given], capture_output=True, text=True, timeout=60,
                             cwd=tmp_path)
    assert refused.returncode == 2, refused.stderr
    assert refused.stdout == ""
    assert refused.stderr.startswith("usage: ")
    last = refused.stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith(f"{prog}: lỗi / error: {refusal}"), last
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kiosk.toml"]


EMPTY_PATH = {
    # case: (command, its command line before the empty path, the prog, the option's name)
    "kiosk-sync-export": (KIOSK, "sync export --to", "kiosk sync export", "--to"),
    "kiosk-export": (KIOSK, "export -o", "kiosk export", "-o/--output"),
    "kiosk-devices-watch": (KIOSK, "devices watch lane1 --save", "kiosk devices watch",
                            "--save"),
    "kiosk-enrol": (KIOSK, "enrol --token-file", "kiosk enrol", "--token-file"),
    "central-trace": (CENTRAL, "trace --document 1 --reason r -o", "kiosk-central trace",
                      "-o/--output"),
    "central-report": (CENTRAL, "report daily -o", "kiosk-central report daily",
                       "-o/--output"),
    "central-report-folder": (CENTRAL, "report daily --out-dir", "kiosk-central report daily",
                              "--out-dir"),
    "central-derivation-folder": (CENTRAL, "derivation --retry --out-dir",
                                  "kiosk-central derivation", "--out-dir"),
}


@pytest.mark.parametrize(("command", "line", "prog", "option"), EMPTY_PATH.values(),
                         ids=EMPTY_PATH)
def test_an_empty_output_path_is_refused_as_one(tmp_path: Path, command: list[str], line: str,
                                                prog: str, option: str) -> None:
    """``--to "$STICK"`` with the variable not set gives the option an empty path: refused
    by the command line, in both languages, exit 2, nothing read or written. Before,
    ``kiosk sync export`` ended in a Python traceback (``PosixPath('.') has an empty
    name``), and an empty ``--out-dir`` meant the working folder."""
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "kiosk.db"}"\n', encoding="utf-8")
    where = ["--config", str(config)] if command is KIOSK else [
        "--db", f"sqlite:///{tmp_path / 'central.db'}"]
    refused = subprocess.run([*command, *line.split(), "", *where], capture_output=True,
                             text=True, timeout=60, cwd=tmp_path)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr.startswith("usage: ")
    assert refused.stderr.rstrip("\n").splitlines()[-1] == (
        f"{prog}: lỗi / error: tham số {option}: đường dẫn trống (một biến của shell chưa "
        "được đặt?): hãy cho đường dẫn nơi ghi ra; không đọc, không ghi gì / argument "
        f"{option}: empty path (a shell variable not set?): give the path to write to; "
        "nothing read or written")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kiosk.toml"]


def test_a_message_argparse_words_unknown_is_shown_as_it_is(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A refusal whose template the catalogue does not know (a newer Python's argparse) is
    shown in argparse's English rather than guessed."""
    with pytest.raises(SystemExit) as exited:
        CommandParser(prog="kiosk").error("something a newer argparse says")
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "kiosk: lỗi / error: something a newer argparse says")


def test_the_camera_check_refuses_in_both_languages(capsys: pytest.CaptureFixture[str]) -> None:
    """The technician's camera check (``python -m kiosk.devices.camera``) refuses a command
    line as ``kiosk`` does, before any camera is opened."""
    with pytest.raises(SystemExit) as exited:
        camera.main(["/dev/video97", "--width", "wide"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"{camera.PROG}: lỗi / error: --width 'wide': cần một số nguyên viết bằng chữ số 0-9 / "
        "--width 'wide': expected a whole number in digits 0-9")


def test_every_parser_a_user_runs_refuses_in_both_languages() -> None:
    """Each parser of ``kiosk``, ``kiosk-central`` and the camera check, subcommands
    registered in any module included, refuses as the command does."""
    every = [parser for build in (cli.build_parser, central_cli.build_parser, camera.build_parser)
             for parser in parsers(build())]
    assert len(every) > 40
    assert [parser.prog for parser in every if not isinstance(parser, CommandParser)] == []
