"""红黑榜: scoring units per month or ISO week, publishing immutable lists, PDF (see scoring.py)."""
