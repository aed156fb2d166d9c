"""辖区概况 (territory overview): an overseeing unit's figures by the units under it (units/territory.py)."""
