"""Group-robot messages (企业微信 WeCom / 钉钉 DingTalk), for every feature, through one outbox.

A feature writes a message row in its own transaction (`enqueue`), so a message is never lost and never sent for
work that was rolled back; a job (`jobs.deliver_due`, every two minutes) posts due rows with a short timeout and
retries failures with growing delays. A message goes to the office's robot (WEBHOOK_URL) or to one unit's own
robot (UnitRobot, set by the unit on its 消息 page).

models.py    OutboxMessage, UnitRobot
service.py   enqueue, the robots' HTTP call (DingTalk 加签), delivery with retries
jobs.py      the delivery job
"""
