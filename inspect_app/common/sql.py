"""Small SQL building blocks shared by the aggregate queries (dashboard, rankings, campaigns)."""
from __future__ import annotations

from sqlalchemy import case, func


def count_where(condition):
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END), 0 when no row: a conditional count in one GROUP BY pass."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
