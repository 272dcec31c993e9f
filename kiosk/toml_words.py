"""Why a config.toml is not TOML, in the reader's language.

``tomllib`` says it in English only ("Unescaped '\\' in a string (at line 158, column 13)"):
shown as it is, the Vietnamese line of a refusal carried English, named no key, and left
the technician to guess the fix. Here its reason becomes catalogue words (``config.toml.*``),
its position is kept, the key on that line is named as the config's own refusals name it
(``devices[0].prefix``), and an escape TOML does not have (``prefix = "\\x02"`` typed with
one backslash) comes with the string written as TOML takes it.
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Iterator

from kiosk.messages import Words

_POSITION = re.compile(r"(?P<reason>.*) \(at (?:line (?P<line>\d+), column (?P<column>\d+)"
                       r"|end of document)\)", re.DOTALL)
"""tomllib's message: its reason, then where (:func:`tomllib._parser.suffixed_err`)."""

_REASONS = {
    "Invalid statement": "config.toml.invalid_statement",
    "Expected newline or end of document after a statement": "config.toml.expected_newline",
    "Cannot overwrite a value": "config.toml.set_twice",
    "Expected ']' at the end of a table declaration": "config.toml.unclosed_table",
    "Expected ']]' at the end of an array declaration": "config.toml.unclosed_table",
    "Expected '=' after a key in a key/value pair": "config.toml.expected_equals",
    "Invalid initial character for a key part": "config.toml.bad_key",
    "Unclosed array": "config.toml.unclosed_array",
    "Unclosed inline table": "config.toml.unclosed_inline_table",
    "Unescaped '\\' in a string": "config.toml.bad_escape",
    "Invalid hex value": "config.toml.bad_unicode",
    "Escaped character is not a Unicode scalar value": "config.toml.bad_unicode",
    "Unterminated string": "config.toml.unterminated_string",
    "Invalid date or datetime": "config.toml.bad_date",
    "Invalid value": "config.toml.bad_value",
}
"""tomllib's reasons (Python 3.11–3.13) that carry nothing of the file."""

_PATTERNS = (
    (re.compile(r"Expected (?P<what>'.*')"), "config.toml.expected"),
    (re.compile(r"(?:Found invalid|Illegal) character (?P<what>'.*')"),
     "config.toml.control_character"),
    (re.compile(r"Cannot declare (?P<key>.*) twice"), "config.toml.table_twice"),
    (re.compile(r"Cannot (?:mutate immutable|redefine) namespace (?P<key>.*)"),
     "config.toml.table_twice"),
    (re.compile(r"Duplicate inline table key (?P<key>.*)"), "config.toml.set_twice"),
)
"""tomllib's reasons that name a key (a tuple's repr) or a character."""

_DIGITS = re.compile(r"Exceeds the limit \((?P<limit>\d+) digits\)")
"""Python's own refusal of an integer too long to read (a bare ValueError, no position)."""

_KEY = re.compile(r"""\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
                  r"""(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_HEADER = re.compile(r"\s*(\[\[?)\s*([^\]#]+?)\s*\]")
_TOML_ESCAPES = frozenset('btnfr"\\uU')
"""What may follow a backslash in a TOML 1.0 basic string (``\\x`` is not among them)."""


def toml_refusal(exc: ValueError, text: str) -> tuple[Words, Words | str]:
    """What is wrong with ``text`` as TOML (``exc``, tomllib's refusal) and where: the line
    and column tomllib gives, with the key on that line when there is one ("": no place is
    known, and the sentence drops its parentheses)."""
    message = str(exc)
    found = _POSITION.fullmatch(message)
    reason = found["reason"] if found else message
    lines = text.split("\n")
    if found and found["line"]:
        line, column = int(found["line"]), int(found["column"])
    elif found:
        return _reason(reason, "", 0), Words("config.toml.at_end")
    elif (digits := _DIGITS.search(message)) is not None:
        return (Words("config.toml.too_many_digits", {"limit": digits["limit"]}),
                _long_number(text, int(digits["limit"])))
    else:
        return Words("config.toml.other", {"detail": message}), ""
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    return _reason(reason, source, column), _at(lines, line, column)


def _at(lines: list[str], line: int, column: int) -> Words:
    """Where (1-based) in the file's ``lines``, with the key set there; a device's key with
    which ``[[devices]]`` table it is in counting from 1, of how many: the key's
    ``devices[0]`` counts from 0, as a valid file's refusals say too
    (:func:`kiosk.config.in_file`)."""
    key = _key_at(lines, line)
    device = re.match(r"devices\[(\d+)\]", key)
    if device is None:
        return Words("config.toml.at_key" if key else "config.toml.at",
                     {"line": line, "column": column, "key": key})
    count = sum(header and re.fullmatch(r"devices\[\d+\]", name) is not None
                for _, name, header in _named_lines(lines))
    return Words("config.toml.at_device_key", {"line": line, "column": column, "key": key,
                                               "n": int(device[1]) + 1, "count": count})


def _reason(reason: str, source: str, column: int) -> Words:
    """tomllib's ``reason`` as catalogue words; ``source`` is the line it was found on."""
    code = _REASONS.get(reason)
    if code == "config.toml.bad_escape":
        return _bad_escape(source, column)
    if code is not None:
        return Words(code)
    if reason == "Illegal character '\\n'":  # a line's end inside a one-line string
        return Words("config.toml.unterminated_string")
    for pattern, code in _PATTERNS:
        if (found := pattern.fullmatch(reason)) is not None:
            params = found.groupdict()
            if "key" in params:
                params["key"] = _dotted(params["key"])
            return Words(code, params)
    return Words("config.toml.other", {"detail": reason})


def _dotted(key: str) -> str:
    """tomllib's key, a tuple's repr (``('kiosk',)``), as TOML writes it (``kiosk``)."""
    with contextlib.suppress(ValueError, SyntaxError):
        parts = ast.literal_eval(key)
        if isinstance(parts, tuple):
            return ".".join(str(part) for part in parts)
    return key.strip("'\"")


def _key_at(lines: list[str], line: int) -> str:
    """The key set on ``line`` (1-based), under the table it is in, as the config's own
    refusals name it (``devices[1].prefix``, ``sync.token``); "" when the line sets none."""
    if not 0 < line <= len(lines):
        return ""
    for number, name, header in _named_lines(lines[:line]):
        if number == line and not header:
            return name
    return ""


def key_line(text: str, key: str) -> int | None:
    """The line (1-based) of ``text`` that sets ``key`` as the config's refusals name it
    (``devices[2].baudrate``, ``kiosk.timezone``), else that declares the table it belongs
    in (``[[devices]]``, the third for ``devices[2]``; ``[kiosk]``), else that sets the
    array holding it (``devices = [{…}]``): ``tomllib`` keeps no positions. None when none
    is written so (a table it never declares)."""
    lines = text.split("\n")
    found: dict[str, int] = {}
    for number, name, _ in _named_lines(lines):
        found.setdefault(name, number)
    while key not in found:
        shorter = re.sub(r"(?:\.[^.]*|\[\d+\])$", "", key)  # its table, the array
        if shorter == key:
            return None
        key = shorter
    return found[key]


def _named_lines(lines: list[str]) -> Iterator[tuple[int, str, bool]]:
    """Each line (1-based) that declares a table or sets a key, with its name as the
    config's refusals give it (``devices[1]``, ``devices[1].prefix``) and whether it is a
    table's header; the Nth ``[[devices]]`` is ``devices[N-1]``, as ``tomllib`` counts."""
    table = ""
    counts: dict[str, int] = {}
    for number, text in enumerate(lines, 1):
        if (header := _HEADER.match(text)) is not None:
            table = header[2]
            if header[1] == "[[":
                counts[table] = counts.get(table, 0) + 1
                table = f"{table}[{counts[table] - 1}]"
            yield number, table, True
        elif (setting := _KEY.match(text)) is not None:
            key = re.sub(r"\s*\.\s*", ".", setting[1])
            yield number, f"{table}.{key}" if table else key, False


def _bad_escape(source: str, column: int) -> Words:
    """An escape TOML does not have; tomllib's column is just after it (``\\x`` then the
    column of ``0`` in ``"\\x02"``). With the string it is in, as TOML takes it: the
    backslash doubled (what the project's byte settings decode, ``"\\\\x02"``, as
    ``kiosk devices watch`` suggests them), or the same text in single quotes when that
    reads the same (a TOML literal string has no escapes)."""
    escape = source[column - 3:column - 1] if column >= 3 else ""
    raw = _basic_string_at(source, column - 2) if escape.startswith("\\") else None
    if raw is None:
        return Words("config.toml.bad_escape_any")
    fixed = re.sub(r"\\(.?)", lambda m: m[0] if m[1] and m[1] in _TOML_ESCAPES
                   else "\\\\" + m[1], raw)
    if "'" in raw or re.search(r"\\[" + re.escape("".join(_TOML_ESCAPES)) + "]", raw):
        return Words("config.toml.bad_escape_doubled", {"escape": escape,
                                                        "fixed": f'"{fixed}"'})
    return Words("config.toml.bad_escape", {"escape": escape, "fixed": f'"{fixed}"',
                                            "literal": f"'{raw}'"})


def _basic_string_at(source: str, index: int) -> str | None:
    """The inside, as written, of the one-line double-quoted string of ``source`` that
    holds the character at ``index``; None when there is none (a multi-line string)."""
    at, quote = 0, ""
    start = 0
    while at < len(source):
        char = source[at]
        if quote == '"':
            if char == "\\":
                at += 2
                continue
            if char == '"':
                if start <= index < at:
                    return source[start:at]
                quote = ""
        elif quote == "'":
            if char == "'":
                quote = ""
        elif char == "#":
            return None
        elif char in "\"'":
            if source.startswith(char * 3, at):
                return None
            quote, start = char, at + 1
        at += 1
    return None


def _long_number(text: str, limit: int) -> Words | str:
    """Where an integer of over ``limit`` digits is (Python's refusal says not)."""
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if (found := re.search(rf"[0-9][0-9_]{{{limit},}}", line)) is not None:
            return _at(lines, number, found.start() + 1)
    return ""
