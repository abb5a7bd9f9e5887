"""The known-material library: hash sets with provenance, their entries, imports, exports and indexes."""
