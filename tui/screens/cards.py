"""Card statistics of one deck: its cards by impact, each interval drawn as a bar.

Every number comes from the report's `cards` (docs/validate.md); nothing is recomputed here.
The bar of a card spans its impact interval on a scale shared by the deck's cards, with `│` at 0
and `●` at the estimate; a card whose interval excludes 0 is marked `▲` or `▼`, so the view still
reads without colour.
"""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from core.validation import CardStats, ValidationReport

BAR_WIDTH = 21
UP, DOWN = "▲", "▼"


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def pts(x: float) -> str:
    """Signed percentage points."""
    return f"{100 * x:+.1f}"


def ordered(report: ValidationReport, deck: str) -> list[CardStats]:
    """The deck's played cards by impact, highest first, then the cards never played."""
    cards = report.deck_cards(deck)
    return [c for c in cards if c.played_games] + [c for c in cards if not c.played_games]


def scale_of(cards: list[CardStats]) -> float:
    """Half-width of the bar scale: the widest interval bound of the played cards, rounded up
    to 5 points (at least 5), so the bars of one deck compare with each other."""
    bound = max(
        (abs(x) for c in cards if c.played_games for x in c.impact_ci95),
        default=0.0,
    )
    return max(0.05, math.ceil(bound * 20 - 1e-9) / 20)


def bar(card: CardStats, scale: float, width: int = BAR_WIDTH) -> Text:
    """The impact interval of `card` on `[-scale, scale]`, in `width` cells."""
    if not card.played_games:
        return Text(" " * width)

    def cell(x: float) -> int:
        x = min(max(x, -scale), scale)
        return min(width - 1, max(0, round((x + scale) / (2 * scale) * (width - 1))))

    lo, hi = cell(card.impact_ci95[0]), cell(card.impact_ci95[1])
    zero, point = cell(0.0), cell(card.impact)
    style = ""
    if card.significant:
        style = "green" if card.impact > 0 else "red"
    chars = []
    for i in range(width):
        if i == point:
            chars.append(("●", f"bold {style}".strip()))
        elif i == zero:
            chars.append(("│", "dim"))
        elif lo <= i <= hi:
            chars.append(("─", style))
        else:
            chars.append((" ", ""))
    return Text.assemble(*chars)


def scale_header(scale: float, width: int = BAR_WIDTH) -> Text:
    """`-S`, `0` and `+S` over the left end, the zero and the right end of the bars."""
    left, right = f"-{100 * scale:.0f}", f"+{100 * scale:.0f}"
    zero = (width - 1) // 2
    line = left.ljust(zero) + "0"
    return Text(line + right.rjust(width - len(line)))


def mark(card: CardStats) -> Text:
    if not card.significant:
        return Text("")
    return Text(UP, style="bold green") if card.impact > 0 else Text(DOWN, style="bold red")


def deck_line(report: ValidationReport, deck: str, index: int, count: int) -> Text:
    d = next((x for x in report.decks if x.deck == deck), None)
    if d is None:
        return Text(deck, style="bold")
    low, high = d.win_rate_ci95
    return Text.assemble(
        (f"{d.deck}", "bold"),
        f" ({d.faction}) · deck {index + 1}/{count} · win {pct(d.win_rate)} ",
        (f"[{pct(low)}, {pct(high)}]", "dim"),
        f" · {d.games:,} games",
    )


def detail_line(card: CardStats | None) -> Text:
    if card is None:
        return Text("")
    if not card.played_games:
        return Text(
            f"{card.card}: {card.copies} in deck, drawn in {card.drawn_games:,} games, never played"
        )
    lo, hi = card.impact_ci95
    plo, phi = card.played_win_rate_ci95
    dlo, dhi = card.drawn_win_rate_ci95
    return Text.assemble(
        (card.card, "bold"),
        f" x{card.copies}: impact {pts(card.impact)} [{pts(lo)}, {pts(hi)}] pts · played "
        f"{card.played_games:,} games, win {pct(card.played_win_rate)} "
        f"[{pct(plo)}, {pct(phi)}], avg turn {card.avg_play_turn:.1f} · drawn "
        f"{card.drawn_games:,}, win {pct(card.drawn_win_rate)} [{pct(dlo)}, {pct(dhi)}]",
    )


class CardsScreen(Screen[None]):
    """The cards of one deck of a validation report; `n`/`p` step through the decks."""

    HELP_TITLE = "Card statistics"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "step(1)", "Next deck", tooltip="Cards of the next deck"),
        Binding("p", "step(-1)", "Previous deck", tooltip="Cards of the previous deck"),
        Binding("escape,q", "close", "Back", tooltip="Back to the validation matrix"),
    ]
    DEFAULT_CSS = """
    CardsScreen #cards-deck, CardsScreen #cards-legend {
        height: 1;
    }
    CardsScreen #cards-detail {
        height: auto;
        max-height: 3;
        border-top: solid $accent;
    }
    CardsScreen DataTable {
        height: 1fr;
    }
    """

    def __init__(self, report: ValidationReport, deck: str) -> None:
        super().__init__()
        self.report = report
        self.decks = [d.deck for d in report.decks]
        self.deck = deck
        self.cards: list[CardStats] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="cards-deck")
        yield Static(id="cards-legend")
        yield DataTable(cursor_type="row", id="cards-table")
        yield Static(id="cards-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.show_deck(self.deck)
        self.query_one(DataTable).focus()

    def show_deck(self, deck: str) -> None:
        self.deck = deck
        self.cards = ordered(self.report, deck)
        index = self.decks.index(deck) if deck in self.decks else 0
        self.query_one("#cards-deck", Static).update(
            deck_line(self.report, deck, index, len(self.decks))
        )
        table = self.query_one(DataTable)
        table.clear(columns=True)
        if not self.cards:
            self.query_one("#cards-legend", Static).update(
                Text(
                    "No card statistics in this report (written before validate counted cards).",
                    style="yellow",
                )
            )
            self.query_one("#cards-detail", Static).update("")
            return
        scale = scale_of(self.cards)
        self.query_one("#cards-legend", Static).update(
            Text(
                f"impact: played - deck win%, pts · bar: 95% CI, ● estimate, │ 0"
                f" · {UP}{DOWN} excludes 0",
                style="dim",
            )
        )
        table.add_column("card", key="card")
        table.add_column(Text("n", justify="right"), key="copies")
        table.add_column(Text("played", justify="right"), key="played")
        table.add_column(Text("win%", justify="right"), key="win")
        table.add_column(Text("impact", justify="right"), key="impact")
        table.add_column(scale_header(scale), key="bar")
        table.add_column("", key="mark")
        for c in self.cards:
            played = bool(c.played_games)
            table.add_row(
                Text(c.card, style="" if played else "dim"),
                Text(str(c.copies), justify="right"),
                Text(f"{c.played_games:,}", justify="right"),
                Text(pct(c.played_win_rate) if played else "-", justify="right"),
                Text(pts(c.impact) if played else "-", justify="right"),
                bar(c, scale),
                mark(c),
                key=c.card,
            )
        self._show_detail(0)

    def _show_detail(self, row: int) -> None:
        card = self.cards[row] if 0 <= row < len(self.cards) else None
        self.query_one("#cards-detail", Static).update(detail_line(card))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def action_step(self, step: int) -> None:
        if not self.decks:
            return
        i = self.decks.index(self.deck) if self.deck in self.decks else 0
        self.show_deck(self.decks[(i + step) % len(self.decks)])

    def action_close(self) -> None:
        self.dismiss()
