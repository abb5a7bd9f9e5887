"""``vigilant demo``: placeholder until the demo lands."""

from __future__ import annotations


def demo() -> None:
    """Run the demonstration on generated, benign data."""
