"""Figures as the office writes them: rounded half up (四舍五入). Python's round() and "%.1f" round half to even,
so 98.25 showed as 98.2 and a 56.25% rate as 56.2%; every score and rate the pages, PDFs and sheets show goes
through here."""
from __future__ import annotations

import math


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
