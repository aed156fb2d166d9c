"""问卷调查: the third part of the national assessment (实地考察, 问卷调查, 材料审核), rehearsed by the office.

The office writes a questionnaire (or starts from the usual 知晓率 / 支持率 / 参与率 / 满意度 questions), opens it, and
spreads its public link or QR code through communities and units. Residents answer on their phones without an
account: their district, then one choice per question. The office and leaders read, per district, how many answered
and the share of 肯定回答 (知道, 支持, 满意 and 比较满意...) per question, so the districts where awareness or
satisfaction lags get the next round of 宣传 and 整治 before the assessors' own survey.

models.py         Survey, SurveyResponse
questionnaire.py  the questions as the office types them (one block per question, * marks a 肯定回答) and the default
services.py       the office's survey operations, the public answer, the results by district
web.py            the office's pages, the public page, the exports
"""
