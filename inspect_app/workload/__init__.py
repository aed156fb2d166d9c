"""督查员工作量: what each inspector found, assessed and verified in a period, and what waits for them, for the office
and the leaders who manage (or pay) the inspectors; an inspector sees their own row.

services.py  the period and the counts, from tickets, their events and assessment rounds
web.py       /workload/ (the page) and /workload/export.<xlsx|csv>
"""
