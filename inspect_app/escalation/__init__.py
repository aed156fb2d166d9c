"""督办函: overdue tickets become numbered supervision letters, level by level (督办 → 挂牌督办 → 约谈).

models.py    Letter, LetterItem (unique per ticket, assignment and level), SweepRun (the webhook outbox is inspect_app/outbox)
levels.py    the pure rule: (deadline, current level, reply-by dates, now) → target level
settings.py  configuration keys with their defaults
sweep.py     the sweep: one transaction writes letters and ticket levels, then PDFs are rendered
letters_pdf.py  the GB/T 9704-style PDF of one letter
notify.py    the office robot's message about new letters, through the shared outbox (inspect_app/outbox)
services.py  reading and acknowledging letters (shared by web pages and API)
"""
