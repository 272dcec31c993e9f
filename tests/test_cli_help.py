"""Help that teaches: every command's ``--help`` ends with examples, and every example — in
the help and in the guides — is a command line the real parser accepts."""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import cli
from kiosk.central import cli as central_cli
from kiosk.devices import camera

ROOT = Path(__file__).resolve().parent.parent
PARSERS = {"kiosk": cli.build_parser, "kiosk-central": central_cli.build_parser,
           camera.PROG: camera.build_parser}
HEADING = "Examples / Ví dụ:"


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
             ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """The parser and every subcommand's parser, with the words that select it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


def examples_of(help_text: str) -> list[str]:
    _, _, tail = help_text.partition(HEADING)
    return [line.strip() for line in tail.splitlines() if line.strip()]


def words_of(line: str) -> list[str]:
    words = shlex.split(line, comments=True)
    return words[:words.index("|")] if "|" in words else words


def parses(prog: str, line: str) -> None:
    """Parse an example as its command would (``--help`` only prints, so is not parsed)."""
    words = words_of(line)
    length = len(prog.split())
    assert words[:length] == prog.split(), line
    if "--help" in words:
        return
    with contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            PARSERS[prog]().parse_args(words[length:])
        except SystemExit:
            pytest.fail(f"{line!r} is refused: {err.getvalue()}")


ALL_COMMANDS = [(prog, path) for prog, build in PARSERS.items()
                for path, _ in commands(build())]


@pytest.mark.parametrize(("prog", "path"), ALL_COMMANDS,
                         ids=[" ".join((p, *c)) for p, c in ALL_COMMANDS])
def test_every_command_help_ends_with_examples_that_parse(prog: str, path: tuple[str, ...]
                                                          ) -> None:
    parser = dict(commands(PARSERS[prog]()))[path]
    text = parser.format_help()
    assert HEADING in text, f"{prog} {' '.join(path)} --help has no examples"
    lines = examples_of(text)
    assert lines
    for line in lines:
        parses(prog, line)
        # the examples of `kiosk sync push` run `kiosk sync push`, not another command
        start = len(prog.split())
        assert words_of(line)[start:start + len(path)] == list(path), line


def test_the_command_list_covers_both_commands_and_their_groups() -> None:
    names = {" ".join((p, *c)) for p, c in ALL_COMMANDS}
    assert {"kiosk scan", "kiosk sync push", "kiosk devices watch", "kiosk config",
            "kiosk-central serve", "kiosk-central import", "kiosk-central kiosks add",
            camera.PROG} <= names


GUIDES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND_LINE = re.compile(r"^\s*(?:\$ )?(?:sudo -u kiosk /opt/checkpoint-kiosk/)?(?:\.venv/bin/)?"
                          r"(kiosk(?:-central)?|python -m kiosk\.devices\.camera) (.*)$")


def guide_examples() -> list[tuple[str, str, str]]:
    """(guide, prog, line) for each command line in a code block or an indented block."""
    found = []
    for guide in GUIDES:
        fenced = False
        for raw in guide.read_text(encoding="utf-8").splitlines():
            if raw.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if not (fenced or raw.startswith("    ")):
                continue
            match = COMMAND_LINE.match(raw)
            if match and not match.group(2).startswith(("listening", "on ")):
                found.append((guide.name, match.group(1), f"{match.group(1)} {match.group(2)}"))
    return found


@pytest.mark.parametrize(("guide", "prog", "line"), guide_examples(),
                         ids=[f"{g}: {line[:60]}" for g, _, line in guide_examples()])
def test_every_command_in_the_guides_is_one_the_parser_accepts(guide: str, prog: str,
                                                               line: str) -> None:
    parses(prog, line)


def test_the_guides_do_show_commands() -> None:
    per_guide = {guide for guide, _, _ in guide_examples()}
    assert {"README.md", "officer.md", "technician.md", "sync-operator.md",
            "central.md"} <= per_guide


RUNNABLE = ("config", "scan", "entries", "stats", "export")
"""Commands that need nothing but the config and the store: their examples are run for real."""


def runnable_examples() -> list[str]:
    lines = [line for _, prog, line in guide_examples() if prog == "kiosk"]
    for path, parser in commands(cli.build_parser()):
        if path and path[0] in RUNNABLE:
            lines += examples_of(parser.format_help())
    return [line for line in dict.fromkeys(lines) if words_of(line)[1] in RUNNABLE
            and "--config" not in words_of(line)]


def test_the_officer_and_technician_examples_run_on_the_sample_config(tmp_path, monkeypatch,
                                                                       capsys) -> None:
    """In a copy of the sample config.toml: every such example exits 0 and says something."""
    (tmp_path / "config.toml").write_text((ROOT / "config.toml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    examples = runnable_examples()
    assert len(examples) >= 10
    for line in examples:
        words = words_of(line)
        if "-o" in words and "--force" not in words:  # each as a reader runs it: its file
            (tmp_path / words[words.index("-o") + 1]).unlink(missing_ok=True)  # not there yet
        assert cli.main(words[1:]) == 0, line
        out, err = capsys.readouterr()
        assert out or err, line


def test_the_files_an_import_example_names_are_named_as_kiosks_write_them() -> None:
    """`kiosk sync export` and the sync screen write ``*.backlog``: an example importing
    ``/media/usb/*.ckb`` matched nothing on a real stick (and the shell passed the pattern
    itself on, refused as a file that is not there)."""
    from kiosk.sync.backlog import FILE_SUFFIX

    parser = central_cli.build_parser()
    (_, import_parser), = [(path, sub) for path, sub in commands(parser) if path == ("import",)]
    lines = [line for _, prog, line in guide_examples()
             if prog == "kiosk-central" and words_of(line)[1:2] == ["import"]]
    lines += examples_of(import_parser.format_help())
    assert len(lines) >= 5
    for line in lines:
        files = parser.parse_args(words_of(line)[1:]).files
        assert files and all(name.endswith(FILE_SUFFIX) for name in files), line


@pytest.mark.parametrize("script", ["screenshots.py", "screenshots_central.py", "make_sounds.py"])
def test_the_scripts_the_guides_name_end_their_help_with_examples(script: str) -> None:
    """README and the guides send a reader to these scripts: their --help ends with
    examples too, each a run of the script itself."""
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / script), "--help"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    lines = examples_of(proc.stdout)
    assert lines and all(line.startswith(f".venv/bin/python scripts/{script}") for line in lines)


RUNNABLE_SCRIPTS = sorted(path.name for path in (ROOT / "scripts").glob("*.py")
                          if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("script", RUNNABLE_SCRIPTS)
def test_every_script_answers_help_with_its_usage(script: str) -> None:
    """A technician or a reviewer re-running a benchmark the docs name asks the script
    what it takes first: every runnable script in scripts/ answers ``--help`` with its
    usage and exit 0, never a traceback (bench_start.py read its arguments from sys.argv
    and died on an IndexError). Examples are asked only of the scripts the guides name."""
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / script), "--help"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.startswith("usage: "), proc.stdout
