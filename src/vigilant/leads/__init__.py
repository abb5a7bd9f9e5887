"""Leads: observations of known material aggregated per subject, scored with reasons, geolocated, routed to
the agency of jurisdiction, deconflicted between agencies and followed through their legal process."""
