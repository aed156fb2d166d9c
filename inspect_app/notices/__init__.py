"""Telling units: an unread count in the header and a small inbox (new tickets for the unit, letters to it,
deadlines within 24 hours), each unit's own WeCom/DingTalk robot (through the shared outbox), a daily digest.

models.py    InboxSeen (when each clerk last opened the inbox)
services.py  the inbox and its unread count; the robots' news and digests
jobs.py      notices.push (news every few minutes), notices.digest (each working morning)
"""
