"""The demo's last part before the web application: link analysis over the operation, the laptop's review
queue, and the registry, each through its package's services, each printed with the time it took."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from vigilant.demo.links_demo import LinkFindings, analyse, plant_links
from vigilant.demo.operation import GeneratedOperation
from vigilant.demo.registry_demo import RegistryFindings, registry_demo
from vigilant.demo.review_demo import ReviewFindings, review_demo
from vigilant.demo.users import demo_database_url, demo_key_file
from vigilant.security.secretbox import SecretBox
from vigilant.store import open_database

LAPTOP_RUN = 1  # the demo laptop's triage run: the first the demo starts


@dataclass(frozen=True)
class Findings:
    links: LinkFindings
    review: ReviewFindings
    registry: RegistryFindings
    seconds: dict[str, float]


def find(root: Path, op: GeneratedOperation, say: Callable[[str], None]) -> Findings:
    """Plant the link material, build the links, queue the laptop for review and generate the registry."""
    db = open_database(demo_database_url(root))
    seconds: dict[str, float] = {}
    try:
        started = time.perf_counter()
        say("\n[bold cyan]▶ Link analysis: two accused's computers triaged, a person recorded twice[/]")
        planted = plant_links(db, op, root, root / "data")
        links = analyse(db, op, planted, root / "data")
        seconds["links"] = time.perf_counter() - started
        for line in links.lines():
            say(line)
        say(f"[dim]({seconds['links']:.1f} s: triage of two folders, full links build, xref)[/]")

        started = time.perf_counter()
        say("\n[bold cyan]▶ Review: the demo laptop's unknown pictures, in stacks[/]")
        review = review_demo(db, SecretBox.from_file(demo_key_file(root)), LAPTOP_RUN)
        seconds["review"] = time.perf_counter() - started
        for line in review.lines():
            say(line)

        started = time.perf_counter()
        say("\n[bold cyan]▶ The offender registry of the demo province (generated)[/]")
        registry = registry_demo(db, op, planted.first, root, as_of=datetime.now(UTC).date())
        seconds["registry"] = time.perf_counter() - started
        for line in registry.lines():
            say(line)
        say(f"[dim]({seconds['registry']:.1f} s)[/]")
    finally:
        db.dispose()
    return Findings(links, review, registry, seconds)
