"""Quality insight: complaints at risk before they breach, the XES event log, the variants taken."""
