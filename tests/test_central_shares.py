"""Each kiosk's share of the centre's processor time (kiosk/central/shares.py): a kiosk that
sends costly bodies is slowed down to its share and served after the others."""

from __future__ import annotations

import asyncio
import math

import pytest

from kiosk.central.shares import CpuShares, FairSlots


def test_use_is_forgotten_by_half_every_half_life() -> None:
    shares = CpuShares(burst=1.0, half_life=4.0)
    shares.charge("k1", 3.0, now=100.0)
    assert shares.used("k1", now=100.0) == pytest.approx(3.0)
    assert shares.used("k1", now=104.0) == pytest.approx(1.5)
    assert shares.used("k1", now=108.0) == pytest.approx(0.75)
    assert shares.used("k2", now=108.0) == 0.0


def test_a_kiosk_over_its_burst_waits_until_its_use_decays_under_it() -> None:
    shares = CpuShares(burst=1.0, half_life=4.0)
    shares.charge("others", 2.0, now=0.0)  # the centre has other kiosks to serve
    shares.charge("k1", 0.9, now=0.0)
    assert shares.wait_seconds("k1", now=0.0) == 0.0  # under the burst: served at once
    shares.charge("k1", 3.1, now=0.0)  # 4 s used: two half-lives to get back to 1 s
    assert shares.wait_seconds("k1", now=0.0) == pytest.approx(8.0)
    assert shares.wait_seconds("k1", now=5.0) == pytest.approx(3.0)
    assert shares.wait_seconds("k1", now=8.0) == pytest.approx(0.0, abs=1e-9)
    assert shares.wait_seconds("k2", now=0.0) == 0.0  # another kiosk is not held up


def test_a_kiosk_alone_on_a_quiet_centre_is_not_held_to_its_share() -> None:
    """Work-conserving: the share protects the other kiosks, so a kiosk catching up on a
    backlog while the others use (almost) nothing goes at full speed; once the others use
    more than a hundredth of the burst lately, it waits as before."""
    shares = CpuShares(burst=1.0, half_life=4.0)
    shares.charge("catching-up", 4.0, now=0.0)
    shares.charge("heartbeats", 0.005, now=0.0)  # others' use under busy (0.01 s)
    assert shares.others_used("catching-up", now=0.0) == pytest.approx(0.005)
    assert shares.wait_seconds("catching-up", now=0.0) == 0.0
    shares.charge("uploader", 0.5, now=1.0)
    assert shares.others_used("catching-up", now=1.0) == pytest.approx(
        0.005 * 0.5 ** 0.25 + 0.5)
    assert shares.wait_seconds("catching-up", now=1.0) == pytest.approx(
        4.0 * math.log2(4.0 * 0.5 ** 0.25))


def test_the_average_share_is_burst_ln2_over_half_life() -> None:
    """Charging whenever allowed, a greedy kiosk's long-run use converges to the share the
    module documents (≈0.17 of a processor with the defaults; a little more with costly
    batches, which may each overshoot the burst)."""
    shares = CpuShares(burst=1.0, half_life=4.0)
    now, spent, cost = 0.0, 0.0, 0.05
    while now < 2000:
        shares.charge("others", 1.0, now)  # a busy centre throughout
        now += shares.wait_seconds("greedy", now)
        shares.charge("greedy", cost, now)
        spent += cost
    assert spent / now == pytest.approx(math.log(2) / 4.0, rel=0.1)


def test_a_freed_slot_goes_to_the_kiosk_that_used_least_not_the_first_waiting() -> None:
    async def scenario() -> list[str]:
        shares = CpuShares()
        shares.charge("hostile", 5.0)
        slots = FairSlots(1, shares)
        assert await slots.acquire("someone", 1.0)  # the only slot is taken
        order: list[str] = []

        async def batch(kiosk: str) -> None:
            assert await slots.acquire(kiosk, 5.0)
            order.append(kiosk)
            slots.release()

        hostile = asyncio.create_task(batch("hostile"))
        await asyncio.sleep(0.01)  # the hostile kiosk is first in line…
        honest = asyncio.create_task(batch("honest"))
        await asyncio.sleep(0.01)
        slots.release()
        await asyncio.gather(hostile, honest)
        return order

    assert asyncio.run(scenario()) == ["honest", "hostile"]  # …but goes after


def test_a_batch_that_gives_up_waiting_does_not_take_a_slot_later() -> None:
    async def scenario() -> tuple[bool, int]:
        slots = FairSlots(1, CpuShares())
        assert await slots.acquire("a", 1.0)
        timed_out = await slots.acquire("b", 0.05)
        slots.release()  # nobody is still waiting: the slot is free again
        return timed_out, slots.free

    assert asyncio.run(scenario()) == (False, 1)
