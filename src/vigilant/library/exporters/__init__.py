"""Hash-set export formats: one visible registry, filled from one explicit list."""
