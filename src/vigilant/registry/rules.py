"""Rule versions: the registrants' obligations as data (``rules.toml``), each version with its effective date.

A regime's versions form a :class:`RuleSet`; :meth:`RuleSet.at` answers which version was in force on a
day. Nothing here computes a deadline: :mod:`vigilant.registry.compliance` does, from the version it gets.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from vigilant.registry.errors import RegistryError
from vigilant.registry.models import Regime

DEFAULT_REGIME = Regime.FEDERAL  # the stricter residence-change rule, for every registrant (issue 15)
_FIELDS = (
    "id",
    "regime",
    "effective_from",
    "annual_window_days",
    "residence_change_days",
    "initial_report_days",
    "due_soon_days",
    "statute",
)


@dataclass(frozen=True)
class RuleVersion:
    id: str
    regime: Regime
    effective_from: date
    annual_window_days: int
    residence_change_days: int
    initial_report_days: int
    due_soon_days: int
    statute: str


@dataclass(frozen=True)
class RuleSet:
    """One regime's versions, oldest first."""

    regime: Regime
    versions: tuple[RuleVersion, ...]

    def at(self, day: date) -> RuleVersion:
        """The version in force on ``day``; before the first one took effect, the first one (an order
        from before a registry existed is judged by the registry's first rules)."""
        chosen = self.versions[0]
        for version in self.versions:
            if version.effective_from <= day:
                chosen = version
        return chosen


def _version(raw: Mapping[str, Any], where: str) -> RuleVersion:
    missing = [f for f in _FIELDS if f not in raw]
    if missing:
        raise RegistryError(f"{where}: rule version lacks {', '.join(missing)}", hint="see rules.toml")
    try:
        regime = Regime(raw["regime"])
    except ValueError:
        raise RegistryError(
            f"{where}: unknown regime {raw['regime']!r}", hint=f"use one of {', '.join(Regime)}"
        ) from None
    if not isinstance(raw["effective_from"], date):
        raise RegistryError(f"{where}: effective_from must be a TOML date (2011-04-15)")
    days = [raw[f] for f in _FIELDS[3:7]]
    if not all(isinstance(d, int) and d >= 0 for d in days):
        raise RegistryError(f"{where}: the day counts must be whole numbers of at least 0")
    return RuleVersion(
        id=str(raw["id"]),
        regime=regime,
        effective_from=raw["effective_from"],
        annual_window_days=raw["annual_window_days"],
        residence_change_days=raw["residence_change_days"],
        initial_report_days=raw["initial_report_days"],
        due_soon_days=raw["due_soon_days"],
        statute=str(raw["statute"]),
    )


def parse_rules(text: str, *, source: str = "rules.toml") -> dict[Regime, RuleSet]:
    """Every regime's rule set from the TOML text of a rules file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{source}: not valid TOML: {exc}") from None
    raw_versions: Sequence[Mapping[str, Any]] = data.get("version", [])
    versions = [_version(raw, f"{source} version {i + 1}") for i, raw in enumerate(raw_versions)]
    ids = [v.id for v in versions]
    if len(set(ids)) != len(ids):
        raise RegistryError(f"{source}: two rule versions share an id", hint="give each version its own id")
    sets: dict[Regime, RuleSet] = {}
    for regime in Regime:
        mine = sorted((v for v in versions if v.regime is regime), key=lambda v: v.effective_from)
        if mine:
            sets[regime] = RuleSet(regime, tuple(mine))
    return sets


@functools.cache
def _packaged() -> dict[Regime, RuleSet]:
    text = resources.files("vigilant.registry").joinpath("rules.toml").read_text(encoding="utf-8")
    return parse_rules(text)


def rule_set(regime: Regime | str = DEFAULT_REGIME, *, path: Path | None = None) -> RuleSet:
    """The rule set an installation applies: the packaged rules, or those of its own file."""
    sets = parse_rules(path.read_text(encoding="utf-8"), source=str(path)) if path else _packaged()
    try:
        return sets[Regime(regime)]
    except (KeyError, ValueError):
        known = ", ".join(r.value for r in sets)
        raise RegistryError(f"no rules for regime {regime!r}", hint=f"rules exist for: {known}") from None
