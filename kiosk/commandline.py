"""What the ``kiosk`` and ``kiosk-central`` commands share: optional subcommand groups that
live beside their subsystem, and running the chosen subcommand to an exit code.

A group module defines ``register(subparsers, common_parent_parser)`` adding its parsers
with ``set_defaults(func=...)``, where ``func(args) -> int`` is the exit code. Stdlib only,
so either command can use it without pulling in the other's subsystems.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Sequence


def add_command_groups(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser,
                       modules: Iterable[str]) -> None:
    """Let each of ``modules`` that is installed register its subcommands; skip missing ones.

    Only the module itself being absent is skipped: an import error inside it is raised.
    """
    for module in modules:
        try:
            register = __import__(module, fromlist=["register"]).register
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        register(subparsers, common)


def run_command(parser: argparse.ArgumentParser, argv: Sequence[str] | None, *,
        failure: type[Exception], label: str, exit_code: int) -> int:
    """Parse ``argv`` and run the subcommand; ``-v`` logs details to stderr.

    A closed pipe (``| head``) ends quietly with 0; ``failure`` becomes one line
    ``label: reason`` on stderr and ``exit_code``.
    """
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0
    except failure as exc:
        print(f"{label}: {exc}", file=sys.stderr)
        return exit_code
