"""The playable factions and their pairs, in the fixed order every report, plan and screen
uses (the engine's `Faction::PLAYABLE` order)."""

from __future__ import annotations

from itertools import combinations

FACTIONS: tuple[str, ...] = ("argentum", "symbiote", "obsidion")
"""The playable factions in their fixed order."""

PAIRS: tuple[tuple[str, str], ...] = tuple(combinations(FACTIONS, 2))
"""Cross-faction pairs in canonical order: argentum-symbiote, argentum-obsidion,
symbiote-obsidion (one validation job each)."""
