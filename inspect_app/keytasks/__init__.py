"""创建任务清单: the key tasks the city's units carry from the assessment's checklist (清单管理), their monthly
progress reports (调度) with supporting material, and the office's review of a task reported done (销号)."""
