"""操作日志 (the audit log): who signed in or failed to, who changed an account, a unit, a segment, a category,
a site, a holiday or a campaign (and from what to what), and who took which data out as a spreadsheet. For the office's
admins, as 等级保护 (MLPS) and 网络安全法 第二十一条 (logs kept at least six months) ask of a government system.

models.py  AuditEntry: one row per event, never changed or deleted by the app
trail.py   what is recorded: changes to the audited tables, found at each flush; sign-ins and exports, recorded by
           their services; the actor and address taken from the request
web.py     /audit: the office's page, filtered by person, kind and date, and its export
"""
