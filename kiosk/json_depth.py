"""How deep a JSON text nests, told before any parser reads it.

Python's parsers (``json``, msgspec) recurse once per level and stop only at the interpreter's
recursion limit, with a RecursionError. Reaching it is harm in itself: a garbage collection
that runs while the parser is that deep finds every finaliser out of stack, so the objects
collected then are not finalised properly (``Exception ignored ... RecursionError``). So a
text from outside (a centre's answer, a kiosk's request, a file) is measured first, and one
deeper than anything the project writes is refused as such, without being parsed."""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 64
"""Far deeper than any JSON the project reads nests (a batch: 4 levels; a trust list: 6),
far shallower than a parser's recursion limit (~1,000)."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = tuple(1 if b in b"[{" else -1 for b in range(256))
"""What a bracket does to the depth (only brackets are looked up)."""


def nested_too_deep(text: bytes | bytearray, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` nests arrays and objects more than ``limit`` deep. A text that is
    not JSON is no deeper than its brackets say; the parser then names what is wrong.

    The common case costs a few memchr passes: no more brackets than ``limit``. Else the
    brackets alone are counted (:func:`_deeper`); only a text deeper by them has its
    strings taken out (brackets inside a name or an address nest nothing) and is counted
    again."""
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    return _deeper(text, limit) and _deeper(_STRING.sub(b"", text), limit)


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
