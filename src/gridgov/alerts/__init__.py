"""Early warning (预警): abnormal rises, recurrences, SLA risk and overdue visits."""
