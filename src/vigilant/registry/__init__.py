"""The offender registry (issue 15): registrants on the person model, obligations as rule data, compliance,
the registry office's work (reports, verifications, alerts, the daily sweep), proximity and cross-checks."""
