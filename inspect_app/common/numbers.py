"""Figures as the office writes them: rounded half up (四舍五入). Python's round() and "%.1f" round half to even,
so 98.25 showed as 98.2 and a 56.25% rate as 56.2%; every score and rate the pages, PDFs and sheets show goes
through here."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: float, places: int) -> float:
    """Half away from zero (四舍五入): 98.25 → 98.3, −0.25 → −0.3. The epsilon absorbs binary noise (a mean
    computed as 98.24999999999999 is 98.25 as written)."""
    scale = 10 ** places
    return math.copysign(math.floor(abs(value) * scale + 0.5 + 1e-9) / scale, value)


def fixed(value: float | None, places: int = 1, none: str = "—") -> str:
    """`value` with `places` decimals, rounded half up; `none` for a missing figure."""
    if value is None:
        return none
    rounded = round_half_up(value, places) + 0.0  # + 0.0: no "-0.0"
    return f"{rounded:.{places}f}"


def exact(value: float) -> Decimal:
    """A stored figure (a score kept to hundredths, an item's points) as the decimal it was written as: 98.05, not
    the binary fraction nearest it. Sums and means of these in Decimal round exactly where a float's would not."""
    return Decimal(repr(float(value)))


def half_up(value: Decimal, places: int) -> float:
    """A decimal rounded once, half up (四舍五入, ROUND_HALF_UP), to `places` decimals."""
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))
