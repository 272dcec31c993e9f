"""How deep a JSON text nests, told before any parser reads it.

Python's parsers (``json``, msgspec) recurse once per level and stop only at the interpreter's
recursion limit, with a RecursionError. Reaching it is harm in itself: a garbage collection
that runs while the parser is that deep finds every finaliser out of stack, so the objects
collected then are not finalised properly (``Exception ignored ... RecursionError``). So a
text from outside (a centre's answer, a kiosk's request, a file) is measured first, and one
deeper than anything the project writes is refused as such, without being parsed."""

from __future__ import annotations

import json
import re
from typing import Any

from kiosk.messages import WordedError

MAX_JSON_DEPTH = 64
"""Far deeper than any JSON the project reads nests (a batch: 4 levels; a trust list: 6),
far shallower than a parser's recursion limit (~1,000)."""

_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.S)
"""A JSON string, escapes and all, in one pass whatever it holds; one never closed runs to
the end, a lone backslash last included (possessive: no quote is looked past twice)."""
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NOT_MARKS = bytes(b for b in range(256) if b not in b'[]{}"')
_STEP = tuple(1 if b in b"[{" else -1 for b in range(256))
"""What a bracket does to the depth (only brackets are looked up)."""


class TooDeep(WordedError, ValueError):
    """A JSON text nested past the limit: as unusable as one that is not JSON, worded as
    the centre words such a body (``wire.too_deep``)."""


def loads(data: bytes | bytearray) -> Any:
    """``json.loads`` of a UTF-8 text measured first (:class:`TooDeep`), read as json reads
    UTF-8 (a BOM skipped, a lone surrogate kept). UTF-8 only: ``json.loads`` of bytes would
    take UTF-16 and -32 too, whose strings the measure does not see."""
    if nested_too_deep(data):
        raise TooDeep("wire.too_deep")
    return json.loads(data.decode("utf-8-sig", "surrogatepass"))


def nested_too_deep(text: bytes | bytearray, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` nests arrays and objects more than ``limit`` deep. A text that is
    not JSON is no deeper than its brackets say; the parser then names what is wrong.

    The common case costs a few memchr passes: no more brackets than ``limit``. Else the
    strings are taken out (a bracket inside a name or an address nests nothing, and a
    ``]`` there would hide nesting after it) and the brackets left counted."""
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    return _deeper(_outside_strings(text), limit)


def _outside_strings(text: bytes | bytearray) -> bytes | bytearray:
    """The brackets of ``text`` outside its strings. With no escaped quote in it, every
    other ``"`` opens a string: only brackets and quotes are kept, two quotes side by side
    dropped (which leaves every bracket as many quotes behind as before, give or take two:
    a batch's 20,000 strings go at C speed), and what lies between the odd quotes left
    out. Else each string is matched whole (~6 ms for a batch of 500)."""
    if b'\\"' in text:
        return _STRING.sub(b"", text)
    marks = text.translate(None, _NOT_MARKS).replace(b'""', b"")
    return b"".join(marks.split(b'"')[::2])


def _deeper(text: bytes | bytearray, limit: int) -> bool:
    """Brackets are taken ``limit // 2`` at a time: a group that cannot lift the depth past
    ``limit`` even if all of it opened is counted whole, at C speed; only the others
    bracket by bracket (a flat text: never; "[" * n: from its third group on)."""
    brackets = text.translate(None, _NOT_BRACKETS)
    size, depth = max(1, limit // 2), 0
    for start in range(0, len(brackets), size):
        group = brackets[start:start + size]
        opened = group.count(b"[") + group.count(b"{")
        if depth + opened <= limit:
            depth += 2 * opened - len(group)
            continue
        for step in map(_STEP.__getitem__, group):
            depth += step
            if depth > limit:
                return True
    return False
