"""Config schema as data: a section is a frozen dataclass whose fields say their own rules.

Each field of a ``Section`` is declared with ``opt(default, choices=…, minimum=…, …)``; its
type comes from the annotation. From that one declaration come the validation and its
messages (``Section.validate``), the technician's generated forms (``Section.schema()``),
and the typed value the rest of the code reads (``settings.baudrate``, never
``options.get("baudrate", 9600)``)::

    @dataclass(frozen=True, kw_only=True)
    class StoreSettings(Section):
        path: str = opt("data/kiosk.db")
        retention_days: int = opt(21, minimum=1, maximum=3650)

    StoreSettings.validate("store", {"retention_days": 0})
    # ConfigError: store.retention_days: cần một số nguyên từ 1 đến 3650, nhận được 0 /
    #              store.retention_days: expected an integer from 1 to 3650, got 0

The messages are catalogue codes (``config.*`` in kiosk/messages.py), worded where they are
shown: the technician's screens in the screen's language, the commands in both. Stdlib and
kiosk.messages only: the core, the device kinds and the tools all import it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import types
import typing
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Self

from kiosk.messages import WordedError, Words


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""The default of an option the file must give."""


class ConfigError(WordedError, ValueError):
    """A config problem for the person who edits the file: a ``config.*`` code naming the
    key, the value and what was expected."""


@dataclass(frozen=True)
class Opt:
    """One option's rules: its type(s), default, allowed values and how to describe them."""

    kind: type | tuple[type, ...] = str
    default: Any = REQUIRED
    choices: Collection[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    expected: str = ""
    """A ``config.expect.*`` code describing the values allowed, when the type does not."""

    def check(self, path: str, value: Any) -> Any:
        kinds = self.kinds
        ok_type = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            with contextlib.suppress(OverflowError):  # more digits than a float: refused
                ok_type, value = True, float(value)
        if not ok_type or (self.choices is not None and value not in self.choices):
            raise ConfigError("config.expected", key=path, expected=self.describe(),
                              got=show(value))
        # nan passes every comparison, and no option can use an infinite number
        finite = not isinstance(value, float) or math.isfinite(value)
        if not finite or (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise ConfigError("config.expected", key=path, expected=self.describe(),
                              got=show(value))
        return value

    @property
    def kinds(self) -> tuple[type, ...]:
        return self.kind if isinstance(self.kind, tuple) else (self.kind,)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> Words:
        """The values allowed, to be worded in the reader's language."""
        if self.expected:
            return Words(self.expected)
        if self.choices is not None:
            shown = [show(c) for c in self.choices]
            if len(shown) > 6:
                return Words("config.expect.one_of_range", {"first": shown[0],
                                                            "last": shown[-1]})
            return Words("config.expect.one_of", {"values": ", ".join(shown)})
        names = [Words(f"config.expect.{k.__name__}") for k in self.kinds]
        what = names[0]
        for name in names[1:]:
            what = Words("config.expect.either", {"first": what, "second": name})
        if self.minimum is not None and self.maximum is not None:
            return Words("config.expect.from_to", {"what": what, "minimum": bound(self.minimum),
                                                   "maximum": bound(self.maximum)})
        if self.minimum is not None:
            return Words("config.expect.at_least", {"what": what,
                                                    "minimum": bound(self.minimum)})
        return what


def bound(value: float) -> str:
    """A limit as a person types it: 3600000 (not 3.6e+06), 0.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def show(value: Any) -> str:
    """A value as the file writes it: strings quoted, booleans lower case."""
    return f'"{value}"' if isinstance(value, str) else repr(value).lower() if isinstance(
        value, bool) else repr(value)


def opt(default: Any = REQUIRED, *, choices: Collection[Any] | None = None,
        minimum: float | None = None, maximum: float | None = None, expected: str = "") -> Any:
    """A section field with its rules; the field's annotation gives the type."""
    rules = Opt(default=default, choices=choices, minimum=minimum, maximum=maximum,
                expected=expected)
    if default is REQUIRED:
        return dataclasses.field(metadata={"opt": rules})
    return dataclasses.field(default=default, metadata={"opt": rules})


@dataclass(frozen=True, kw_only=True)
class Section:
    """A validated table of ``config.toml``: frozen, every default filled in."""

    @classmethod
    def schema(cls) -> dict[str, Opt]:
        """Option name → rules, in declaration order (drives messages, forms, the sample)."""
        return _schema(cls)

    @classmethod
    def validate(cls, path: str, data: Any) -> Self:
        """The table at ``path`` checked and typed; ConfigError names key, value and need."""
        if not isinstance(data, dict):
            raise ConfigError("config.expected", key=path, expected=Words("config.expect.dict"),
                              got=show(data))
        schema = cls.schema()
        unknown = sorted(set(data) - set(schema))
        if unknown:
            raise ConfigError("config.unknown_option", key=f"{path}.{unknown[0]}",
                              known=", ".join(sorted(schema)))
        values = {}
        for key, rules in schema.items():
            where = f"{path}.{key}"
            if key in data:
                values[key] = rules.check(where, data[key])
            elif rules.required:
                raise ConfigError("config.missing", key=where, expected=rules.describe())
        section = cls(**values)
        section.check(path)
        return section

    def check(self, path: str) -> None:
        """Rules across options (or beyond one value's type); raise ConfigError."""

    def as_dict(self) -> dict[str, Any]:
        """Option name → value, as the file would write it."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@functools.cache
def _schema(cls: type[Section]) -> dict[str, Opt]:
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        kinds = typing.get_args(hint) if isinstance(hint, types.UnionType) else hint
        out[f.name] = dataclasses.replace(f.metadata["opt"], kind=kinds)
    return out
