"""How deep a JSON text nests, told without parsing it (kiosk.json_depth): what comes from
outside nested past anything the project writes is refused before a parser recurses
towards the interpreter's limit."""

import json

import pytest

from kiosk.json_depth import MAX_JSON_DEPTH, TooDeep, loads, nested_too_deep


def nested(depth: int, inner: bytes = b"1") -> bytes:
    return b'{"a":[' * (depth // 2) + b"[" * (depth % 2) + inner + \
        b"]" * (depth % 2) + b']}' * (depth // 2)


def test_a_text_as_deep_as_the_limit_passes_and_one_level_more_does_not() -> None:
    for depth in (0, 1, 5, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH):
        assert json.loads(nested(depth)) is not None
        assert not nested_too_deep(nested(depth)), depth
    for depth in (MAX_JSON_DEPTH + 1, MAX_JSON_DEPTH + 2, 100_000):
        assert nested_too_deep(nested(depth)), depth
    assert nested_too_deep(b"[" * 100_000 + b"]" * 100_000)


def test_a_long_flat_text_with_many_brackets_is_not_deep() -> None:
    flat = json.dumps({"entries": [{"id": i, "extra": {"n": [i]}} for i in range(5000)]})
    assert not nested_too_deep(flat.encode())
    assert not nested_too_deep(b"[]" * 100_000)


def test_brackets_inside_strings_nest_nothing_escaped_quotes_included() -> None:
    name = "[" * 500 + '\\"' + "{" * 500
    assert not nested_too_deep(json.dumps([{"name": name, "address": "]" * 9}]).encode())
    assert not nested_too_deep(b'["a\\"' + b"[" * 100 + b'"]')
    # a string that ends in an escaped backslash closes: the brackets after it count
    assert nested_too_deep(b'["\\\\"' + b"[" * 100 + b"]" * 100 + b"]")


def test_a_text_that_is_not_json_is_left_to_the_parser_to_name() -> None:
    """Brackets that do not pair are no depth; the parser then says what is wrong."""
    assert not nested_too_deep(b"]" * 1000 + b"[" * 10)
    assert not nested_too_deep(b"not json at all")
    assert not nested_too_deep(b"")


def test_a_closing_bracket_inside_a_string_hides_no_nesting_after_it() -> None:
    """Strings are taken out before any bracket is counted: ``]`` in an earlier string
    would otherwise cancel the ``[`` that follow it (a review found 506 texts in 20,000
    random ones missed so)."""
    hidden = b'["' + b"]" * 3000 + b'",' + b"[" * 3050 + b"]" * 3050 + b"]"
    assert nested_too_deep(hidden)
    with pytest.raises(TooDeep):
        loads(hidden)


def test_a_string_never_closed_is_one_string_to_the_end() -> None:
    """An unclosed string of escaped quotes is read once (the pattern used to start again
    at every quote: 80 KB took 27 s), and the brackets before it still count."""
    unclosed = b"[" * 65 + b'"' + b'\\"' * 200_000
    assert nested_too_deep(unclosed)
    assert nested_too_deep(unclosed + b"\\")
    assert not nested_too_deep(b"[" * 64 + b'"' + b'\\"[' * 200_000)


def test_loads_reads_utf8_as_json_does_and_nothing_else() -> None:
    """A BOM is skipped and a lone surrogate kept, as ``json.loads`` of bytes does; a
    UTF-16 text, whose strings the measure cannot see into, is refused (a ValueError)."""
    assert loads(b'\xef\xbb\xbf{"a": [1]}') == {"a": [1]}
    assert loads('["\ud800"]'.encode("utf-8", "surrogatepass")) == ["\ud800"]
    with pytest.raises(ValueError):
        loads('["a"]'.encode("utf-16"))
