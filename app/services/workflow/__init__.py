"""Tasks and the workflow runtime: the inbox, completing a task, timers and deadlines, the business
calendar's extra days off, and the representative's interventions."""
