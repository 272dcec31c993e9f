"""How deep a JSON text nests, told without parsing it (kiosk.json_depth): what comes from
outside nested past anything the project writes is refused before a parser recurses
towards the interpreter's limit."""

import json

from kiosk.json_depth import MAX_JSON_DEPTH, nested_too_deep


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
