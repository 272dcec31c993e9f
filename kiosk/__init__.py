"""Checkpoint QR kiosk."""

import datetime as dt

RELEASED = dt.date(2026, 11, 30)
"""The day this program was released: the real date is at least this however far behind the
kiosk's clock is (a flat RTC battery boots at 1970), so a card is never "in the future" before
it. Moved on with each release, to a day already begun everywhere on Earth; a test fails if it
is ever later than the real date in the zone furthest behind (UTC−12)."""
