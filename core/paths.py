"""Where things live in a workspace (a checkout holding ``data/`` and ``rust/``)."""

from __future__ import annotations

from pathlib import Path

from core.errors import ConfigError
from core.factions import FACTIONS


class Workspace:
    """The directories of one workspace. ``experiments_dir`` may live elsewhere (a Modal volume)."""

    def __init__(self, root: Path | str, experiments_dir: Path | str | None = None) -> None:
        self.root = Path(root).resolve()
        self.experiments_dir = (
            Path(experiments_dir).resolve() if experiments_dir else self.root / "experiments"
        )

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def weights_dir(self) -> Path:
        return self.data_dir / "weights"

    @property
    def weight_spec_file(self) -> Path:
        return self.weights_dir / "spec.json"

    @property
    def configs_file(self) -> Path:
        return self.data_dir / "configs" / "training.toml"

    @property
    def decks_dir(self) -> Path:
        return self.data_dir / "decks"

    @property
    def rust_dir(self) -> Path:
        return self.root / "rust"

    @property
    def runs_dir(self) -> Path:
        return self.experiments_dir / "runs"

    @property
    def validation_dir(self) -> Path:
        return self.experiments_dir / "validation"

    @property
    def history_dir(self) -> Path:
        return self.weights_dir / ".history"

    def shown(self, path: str | Path) -> str:
        """``path`` relative to the root where it is inside the workspace: shorter, and the same
        on every machine (screens and summaries print it)."""
        p = Path(path)
        return str(p.relative_to(self.root)) if p.is_relative_to(self.root) else str(p)

    def weights_file(self, target: str) -> Path:
        """The deployed weights file of ``generalist`` or a faction's specialist."""
        if target == "generalist":
            return self.weights_dir / "generalist.toml"
        if target in FACTIONS:
            return self.weights_dir / "specialists" / f"{target}.toml"
        raise ConfigError(
            f"unknown weights target `{target}` (valid: generalist, {', '.join(FACTIONS)})"
        )

    def deck_counts(self) -> dict[str, int]:
        """Decks per faction, counted from ``data/decks/<faction>/*.toml``."""
        return {f: len(list((self.decks_dir / f).glob("*.toml"))) for f in FACTIONS}

    def matchup_count(self) -> int:
        """Cross-faction deck pairings (40 with 4/4/3 decks)."""
        c = self.deck_counts()
        n = [c[f] for f in FACTIONS]
        return n[0] * n[1] + n[0] * n[2] + n[1] * n[2]

    @classmethod
    def find(cls, start: Path | str | None = None) -> Workspace:
        """The first directory from ``start`` (default: the working directory) upward that holds
        ``data/rules.toml``."""
        here = Path(start or Path.cwd()).resolve()
        for d in (here, *here.parents):
            if (d / "data" / "rules.toml").is_file():
                return cls(d)
        raise ConfigError(
            f"{here}: no workspace found: no data/rules.toml in this directory or above "
            "(run ewtui from the repository)"
        )
