"""基础数据: the office's units, segments, categories, accounts, holidays, campaigns; Excel import/export."""
