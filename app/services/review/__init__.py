"""Review and figures: the quality managers' list, one complaint's path, the ISO 10002 figures and
quality insight (at risk, event log, variants)."""
