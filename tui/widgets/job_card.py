"""One card per job: identity, state, progress and (for training) the fitness curve."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import ProgressBar, Static

from core.heldout import fmt_heldout_fitness
from tui.widgets.fitness_chart import FitnessChart, Series
from tui.widgets.run_view import JobView, shown_state

STATE_STYLE = {
    "waiting": "dim",
    "queued": "dim",
    "running": "bold $accent",
    "ok": "bold $success",
    "failed": "bold $error",
    "timeout": "bold $error",
    "cancelled": "bold $warning",
    "skipped": "dim",
    "interrupted": "bold $warning",
}
STATE_GLYPH = {
    "waiting": "○",
    "queued": "◌",
    "running": "▶",
    "ok": "✔",
    "failed": "✘",
    "timeout": "⌛",
    "cancelled": "■",
    "skipped": "-",
    "interrupted": "■",
}


class JobCard(Widget, can_focus=True):
    """Selecting a card (focus) selects the job whose log the monitor shows."""

    DEFAULT_CSS = """
    JobCard {
        height: 9;
        border: round $panel;
        padding: 0 1;
    }
    JobCard:focus {
        border: round $accent;
    }
    JobCard.-validate {
        height: 6;
    }
    JobCard .info {
        width: 1fr;
        min-width: 34;
        padding-right: 1;
    }
    JobCard #facts {
        height: auto;
        max-height: 6;
    }
    JobCard FitnessChart {
        width: 2fr;
        height: 7;
    }
    JobCard.-validate FitnessChart {
        display: none;
    }
    JobCard ProgressBar Bar {
        width: 1fr;
    }
    """

    def __init__(self, job: JobView) -> None:
        super().__init__(id=f"card-{_safe_id(job.job_id)}", classes=f"-{job.kind or 'train'}")
        self.job_id = job.job_id
        self._job = job
        self._shown_gens = -1

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(classes="info"):
                yield Static(id="title")
                yield Static(id="facts")
                yield ProgressBar(show_eta=False, id="progress")
            # Too short for a title: the axis label says what the curve is.
            yield FitnessChart(xlabel="in-training (noisy)")

    def on_mount(self) -> None:
        self.update_job(self._job)

    def update_job(self, job: JobView) -> None:
        self._job = job
        self.set_class(job.kind == "validate", "-validate")
        glyph = STATE_GLYPH.get(job.state, "?")
        title = Text.assemble(
            (job.job_id, "bold"),
            "  ",
            (f"{glyph} {shown_state(job.state)}", self._state_style(job.state)),
        )
        self.query_one("#title", Static).update(title)
        facts = [f"container {job.container_id}"] if job.container_id else []
        if job.kind == "train":
            facts.extend(train_facts(job))
        else:
            total = f"{job.total:g}" if job.total is not None else "?"
            facts.append(f"games {job.done:g}/{total}")
        if job.detail and job.state in ("failed", "timeout", "cancelled", "interrupted"):
            # Why it ended; while it runs the detail is its command line, which the log has.
            facts.append(job.detail.splitlines()[0])
        self.query_one("#facts", Static).update("\n".join(facts))
        bar = self.query_one("#progress", ProgressBar)
        # An unknown total would animate the bar forever; an idle job shows an empty one.
        bar.update(total=job.total if job.total else 1, progress=job.done if job.total else 0)
        if job.kind == "train" and len(job.gens) != self._shown_gens:
            self._shown_gens = len(job.gens)
            self.query_one(FitnessChart).set_series([Series("best", job.gens, job.best)])

    def _state_style(self, state: str) -> str:
        style = STATE_STYLE.get(state, "")
        # Resolve theme variables; Text styles cannot name them directly.
        variables = self.app.theme_variables
        for name in ("accent", "success", "error", "warning"):
            style = style.replace(f"${name}", variables.get(name, name))
        return style


def train_facts(job: JobView) -> list[str]:
    """A training card's numbers, each named for what it is: the held-out head-to-head (the
    headline, once the job has it) and fitness, and the noisy in-training best."""
    best = f"{job.best_fitness:.3f}" if job.best_fitness is not None else "-"
    h = job.heldout
    if h is None:
        gen = f"{job.gen}/{job.generations}" if job.gen is not None else "-"
        return [f"gen {gen} · in-training best {best} (noisy)"]
    out = []
    if h.h2h is not None:
        p, lo, hi = h.h2h.points
        out.append(f"held-out h2h {p:+.1f} [{lo:.1f}, {hi:.1f}]")
    out.append(f"held-out fit {fmt_heldout_fitness(h).removeprefix('held-out fitness ')}")
    out.append(f"in-training best {best} (noisy)")
    return out


def _safe_id(job_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in job_id)
