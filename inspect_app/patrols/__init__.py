"""路段巡查: inspectors check in (巡查打卡) on the road segment they are walking, with the phone's position, found
clean or not; the office and the leaders see which 责任路段 were patrolled in a period and which were not
(巡查覆盖), by district, with when and by whom each was last seen. A problem an inspector filed on a segment is a
visit too, so a segment with finds needs no check-in.

models.py    Patrol: one check-in (who, which segment, when, where, how precise)
services.py  check_in (the position must be on the segment), coverage (a period's visits per segment), near
web.py       /patrols/ (coverage), /patrols/checkin (the phone page), /patrols/near, /patrols/export.<xlsx|csv>
api.py       POST /api/v1/patrols, GET /api/v1/patrols/coverage
"""
