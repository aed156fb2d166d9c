"""Leadership dashboard (领导看板): headline figures, weekly trends, breakdowns, latest 红黑榜, a map of open tickets."""
