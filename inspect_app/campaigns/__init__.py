"""专项整治行动 (special campaigns) as the office runs them: the campaigns for every citywide reader, each one's
progress week by week and by unit, its 进展通报 drafted for the leaders, the running ones on the 领导看板.

The campaign itself (dates, categories, districts) is kept in tickets/campaigns.py, where membership is a query,
and edited by the office (office/campaigns.py).

progress.py  figures: the summary, the weeks, by category, unit and district
bulletin.py  the 进展通报 draft (文件格式)
web.py       /campaigns/ pages and the PDF
api.py       GET /api/v1/campaigns, /api/v1/campaigns/<id>
"""
