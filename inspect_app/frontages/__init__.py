"""门前四包: the register of frontages (shops and institutions that signed a 责任书 for the pavement in front of
their door), the problems filed against them, and the repeat offenders each street office follows up.

models.py    Frontage
services.py  register (add, edit, scope), history, repeat offenders; search for the filing page
imports.py   the Excel/CSV import (registered with the office's import pages as kind "frontages")
web.py, api.py
"""
