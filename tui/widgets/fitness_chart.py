"""Plotext line chart of the in-training best fitness per generation, for one or several
series (the noisy value: the screens say so in the title or the axis label)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual_plotext import PlotextPlot


@dataclass(frozen=True)
class Series:
    """One curve: a label and its (generation, fitness) points."""

    label: str
    gens: Sequence[int]
    values: Sequence[float]


class FitnessChart(PlotextPlot):
    """Best fitness against generation. Redraws only when `set_series` is called."""

    DEFAULT_CSS = """
    FitnessChart {
        height: 1fr;
        min-height: 6;
    }
    """

    def __init__(
        self,
        title: str = "",
        *,
        xlabel: str = "generation",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._title = title
        self._xlabel = xlabel
        self._series: list[Series] = []

    def on_mount(self) -> None:
        super().on_mount()
        self._draw()

    def set_series(self, series: Sequence[Series]) -> None:
        self._series = [s for s in series if len(s.gens) > 0]
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if self._title:
            plt.title(self._title)
        plt.xlabel(self._xlabel)
        markers = ["braille", "dot", "hd", "sd"]
        for i, s in enumerate(self._series):
            plt.plot(
                list(s.gens),
                list(s.values),
                label=s.label if len(self._series) > 1 else None,
                marker=markers[i % len(markers)],
            )
        longest = max((len(s.gens) for s in self._series), default=0)
        if 0 < longest <= 10:
            # Few generations: whole-number ticks instead of plotext's fractional ones.
            plt.xticks(sorted({g for s in self._series for g in s.gens}))
        if not self._series:
            plt.text("no generations yet", x=0.5, y=0.5, alignment="center")
            plt.xlim(0, 1)
            plt.ylim(0, 1)
        self.refresh()
