"""Vigilant: one system for units that investigate online child sexual exploitation."""

__version__ = "0.1.0"
