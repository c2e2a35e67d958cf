"""Operations: readiness and gauges, backups, and verifying the audit chains."""
