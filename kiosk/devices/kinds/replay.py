"""``replay``: payloads from a file or standard input (demos, tests, captures from the field)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from kiosk.devices.kind import DeviceKind, DeviceOptions, kinds
from kiosk.schema import opt


class ReplayFormats(Sequence[str]):
    """"lines", then every registered kind's capture format (read when asked, so a kind
    registered later is replayable too)."""

    def _all(self) -> tuple[str, ...]:
        return ("lines", *(k.name for k in kinds().values() if k.capture is not None))

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __contains__(self, value: object) -> bool:
        return value in self._all()


@dataclass(frozen=True, kw_only=True)
class ReplayOptions(DeviceOptions):
    path: str = opt("-", expected="config.expect.replay_path")
    delay_ms: int = opt(0, minimum=0, maximum=3_600_000)
    format: str = opt("lines", choices=ReplayFormats())
    loop: bool = opt(False)


KIND = DeviceKind(
    name="replay",
    options=ReplayOptions,
    device="kiosk.devices.replay:ReplayDevice",
    decoder=None,  # lines are payloads; a capture is decoded by its own kind's decoder
    capture=None,
    watch=None,
    discovery=None,
    advice=None,
)
