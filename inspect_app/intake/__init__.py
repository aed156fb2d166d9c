"""Problems from outside the inspectors: citizens' 随手拍 (a public phone page, no account), 12345 hotline cases
(imported from the hotline's Excel export or posted by its system), the national or provincial assessors' feedback
lists (imported), and 媒体曝光 / 领导交办 / 上级测评反馈 items entered by the office one by one.

Citizens' reports, hotline cases and imported feedback items wait in a moderation queue: the office accepts one (it
becomes a ticket with its source, dispatched by the normal rules) or declines it with a reason. A citizen follows
their report with the receipt code given on submission, without an account; the hotline gets its cases' progress
back in an export, and the superiors a feedback list's 整改情况 (feedback.py).

models.py    IntakeItem, IntakePhoto, RateCounter
limits.py    fixed-window counters in the database (per address, per device, overall): floods get 429
services.py  the citizen's report, the receipt, moderation (accept, decline, decline a flood), office entries
hotline.py   12345 cases: one validator for spreadsheet rows and API posts, keyed by case number; the export back
feedback.py  上级测评反馈 lists: imported by list and item, their progress by list, the 整改情况 export
web.py, api.py
"""
