"""路段巡查: inspectors check in (巡查打卡) on the road segment they are walking, with the phone's position, found
clean or not; the office and the leaders see which 责任路段 were patrolled in a period and which were not
(巡查覆盖), by district, with when and by whom each was last seen. A problem an inspector filed on a segment is a
visit too, so a segment with finds needs no check-in.

models.py     Patrol (one check-in), PatrolCycle (巡查周期), PatrolArea (督查片区), PatrolAbsence (请假外出登记),
              AbsenceRequest (请假外出申请)
services.py   check_in (the position must be on the segment), coverage (a period's visits per segment), near,
              the cycles and the areas
days.py       巡查日志 (a day of everyone), 轨迹 (one person's day), 巡查月历 (each person's month)
absences.py   请假外出登记: the days the office records an inspector was away, and why; 请假外出申请: the
              inspector asks, the office agrees (the record) or refuses
trail_map.py  the 轨迹's map, drawn on the server
web.py        /patrols/ (coverage), /patrols/checkin (the phone page), /patrols/near, /patrols/day, /patrols/month,
              /patrols/absences, /patrols/leave (the inspector's requests), /patrols/cycles, /patrols/areas, the
              exports and the check-in photos
api.py        POST /api/v1/patrols, GET /api/v1/patrols/coverage, /patrols/day, /patrols/absences,
              /patrols/absence-requests
"""
