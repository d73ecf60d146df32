"""Deck x deck win-rate heat map of a validation report.

Each cell holds the win rate of the row deck against the column deck and always prints it. The
colour scale is built from the xterm 256-colour palette so it looks the same on a 256-colour
terminal as on a true-colour one, and each cell also carries a text marker for its band (`+`/`++`
above the report's matchup thresholds, `-`/`--` below), so the map still reads with NO_COLOR.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable

# Diverging scale, strong-low .. strong-high, with the foreground picked for contrast so the value
# is legible in colour and after the greyscale conversion NO_COLOR applies.
_SCALE = {
    "--": Style(bgcolor="color(25)", color="color(231)", bold=True),
    "-": Style(bgcolor="color(110)", color="color(16)"),
    "~-": Style(bgcolor="color(153)", color="color(16)"),
    "": Style(bgcolor="color(254)", color="color(16)"),
    "~+": Style(bgcolor="color(223)", color="color(16)"),
    "+": Style(bgcolor="color(209)", color="color(16)"),
    "++": Style(bgcolor="color(124)", color="color(231)", bold=True),
}
_EMPTY = Style(color="color(244)")


@dataclass(frozen=True)
class Cell:
    """The matchup of `row` against `col`, seen from the row deck's side."""

    row: str
    col: str
    win_rate: float
    matchup: Any  # the report's matchup entry; `row` is its deck_a or deck_b


def band(rate: float, warning: float, imbalanced: float) -> str:
    """The band marker of a rate for the given thresholds (each a band `[1 - t, t]`)."""
    if rate > imbalanced:
        return "++"
    if rate < 1 - imbalanced:
        return "--"
    if rate > warning:
        return "+"
    if rate < 1 - warning:
        return "-"
    if rate > 0.55:
        return "~+"
    if rate < 0.45:
        return "~-"
    return ""


def row_side_rate(matchup: Any, row_deck: str) -> float:
    """Score of `row_deck` in `matchup` from the counts: wins plus half the draws, over games."""
    games = matchup.games
    if games == 0:
        return 0.0
    wins = matchup.a_wins if matchup.deck_a == row_deck else matchup.b_wins
    return float((wins + 0.5 * matchup.draws) / games)


def format_cell(rate: float, marker: str, compact: bool = False) -> Text:
    """A cell: ` 41.5+ ` or, compact (whole percent, for narrow terminals), `42+ `."""
    shown = marker if marker in ("+", "++", "-", "--") else ""
    if compact:
        return Text(f"{100 * rate:3.0f}{shown:<2}", style=_SCALE[marker], justify="right")
    return Text(f" {100 * rate:5.1f}{shown:<2}", style=_SCALE[marker], justify="right")


class Heatmap(DataTable[Text]):
    """The heat map; `Heatmap.CellChosen` is posted when the user presses enter on a cell."""

    DEFAULT_CSS = """
    Heatmap {
        height: auto;
        max-height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        # The deck column stays put when the cells scroll sideways.
        super().__init__(
            id=id, cursor_type="cell", zebra_stripes=False, cell_padding=0, fixed_columns=1
        )
        self._cells: dict[tuple[int, int], Cell] = {}
        self._decks: list[str] = []
        self.compact = False

    def show_report(self, report: Any, compact: bool = False) -> None:
        """Fill the map from a validation report (`core.validation.ValidationReport`);
        `compact` prints whole percents in 5 columns a cell (11 decks fit 80 columns)."""
        self.compact = compact
        coord = self.cursor_coordinate
        self.clear(columns=True)
        self._cells.clear()
        decks = [d.deck for d in report.decks]
        factions = {d.deck: d.faction for d in report.decks}
        self._decks = decks
        by_pair = {(m.deck_a, m.deck_b): m for m in report.matchups}
        warning = report.thresholds.matchup_warning
        imbalanced = report.thresholds.matchup_imbalanced

        self.add_column(Text("row vs column →" if compact else "row deck vs column →"), key="deck")
        for i, _ in enumerate(decks, start=1):
            head = f"{i:>3}  " if compact else f"{i:>6}  "
            self.add_column(Text(head, justify="right"), key=f"c{i}")
        for r, row_deck in enumerate(decks):
            cells: list[Text] = []
            for c, col_deck in enumerate(decks):
                m = by_pair.get((row_deck, col_deck)) or by_pair.get((col_deck, row_deck))
                if m is None:
                    empty = "  ·  " if compact else "     ·  "
                    cells.append(Text(empty, style=_EMPTY, justify="right"))
                    continue
                rate = row_side_rate(m, row_deck)
                self._cells[(r, c + 1)] = Cell(row_deck, col_deck, rate, m)
                cells.append(format_cell(rate, band(rate, warning, imbalanced), compact))
            faction = factions[row_deck][:1] if compact else factions[row_deck][:3]
            label = Text(f"{r + 1:>2} {row_deck} ({faction}) ")
            self.add_row(label, *cells, key=row_deck)
        if coord.row < self.row_count and coord.column < len(self.columns):
            self.move_cursor(row=coord.row, column=coord.column, scroll=False)

    def cell_at(self, row: int, column: int) -> Cell | None:
        return self._cells.get((row, column))

    @property
    def cells(self) -> Iterable[Cell]:
        return self._cells.values()

    @property
    def current_cell(self) -> Cell | None:
        coord = self.cursor_coordinate
        return self.cell_at(coord.row, coord.column)
