"""Launch: choose what to run, see the plan and its cost, start it."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import ValidationError
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
)
from textual.widgets.selection_list import Selection

from core.config import ProjectConfig
from core.errors import EwtuiError
from core.plan import MODES, Plan, RunOptions, build_plan

if TYPE_CHECKING:
    from tui.app import EwtuiApp

BACKENDS = ("local", "modal")


class LaunchScreen(Screen[None]):
    HELP_TITLE = "Launch"
    AUTO_FOCUS = "#configs"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "launch", "Start run", tooltip="Start the run shown in the plan"),
        Binding("ctrl+a", "all_configs", "All configs", tooltip="Select every training config"),
        Binding("ctrl+d", "default_configs", "Default configs", tooltip="Select the enabled ones"),
    ]

    app: EwtuiApp

    def compose(self) -> ComposeResult:
        project = self.app.project
        yield Header()
        with Horizontal():
            with VerticalScroll(id="launch-form"):
                yield Label("Training configs (space toggles)")
                yield SelectionList[str](
                    *[
                        Selection(
                            f"{c.name}  [dim]{c.mode} {c.faction or ''}[/]", c.name, c.enabled
                        )
                        for c in project.training
                    ],
                    id="configs",
                    compact=True,
                )
                yield Label("Mode")
                yield Select(
                    [(m, m) for m in MODES],
                    value="full",
                    allow_blank=False,
                    id="mode",
                    compact=True,
                )
                yield Label("Backend")
                yield Select(
                    [(b, b) for b in BACKENDS],
                    value="local",
                    allow_blank=False,
                    id="backend",
                    compact=True,
                )
                yield Label("Preset")
                yield Select(
                    [(name, name) for name in project.presets],
                    value=project.default_preset,
                    allow_blank=False,
                    id="preset",
                    compact=True,
                )
                yield Label("Validation games per seat order")
                yield Input(placeholder="from preset", type="integer", id="games", compact=True)
                yield Checkbox(
                    "sequential validation",
                    False,
                    id="sequential",
                    compact=True,
                )
                yield Checkbox("deploy trained weights", True, id="deploy", compact=True)
                yield Button("Start run (ctrl+r)", variant="primary", id="launch")
            with VerticalScroll(id="plan-pane"):
                yield Static(id="plan")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_plan()

    # -- reading the form ------------------------------------------------------------------------

    def options(self) -> RunOptions:
        games_text = self.query_one("#games", Input).value.strip()
        return RunOptions(
            mode=self.query_one("#mode", Select).value,
            backend=self.query_one("#backend", Select).value,
            preset=str(self.query_one("#preset", Select).value),
            validation_games=int(games_text) if games_text else None,
            sequential=self.query_one("#sequential", Checkbox).value,
            deploy=self.query_one("#deploy", Checkbox).value,
        )

    def selected_configs(self) -> list[str]:
        """The selected training configs, in the order of the project's files."""
        chosen = set(self.query_one("#configs", SelectionList).selected)
        return [c.name for c in self.app.project.training if c.name in chosen]

    def build(self) -> Plan:
        """The plan of the form's choices: exactly the selected training configs."""
        options = self.options().model_copy(update={"configs": self.selected_configs()})
        return build_plan(self.app.project, options, self.app.workspace)

    # -- the plan pane ---------------------------------------------------------------------------

    @on(SelectionList.SelectedChanged)
    @on(Select.Changed)
    @on(Input.Changed)
    @on(Checkbox.Changed)
    def refresh_plan(self) -> None:
        pane = self.query_one("#plan", Static)
        try:
            plan = self.build()
        except EwtuiError as err:
            pane.update(Text(f"Cannot plan this run: {err}", style="bold red"))
            return
        except ValueError as err:  # a value the options refuse (e.g. games <= 0)
            pane.update(Text(f"Cannot plan this run: {refusal(err)}", style="bold red"))
            return
        pane.update(describe_plan(plan, self.app.project))

    # -- actions ---------------------------------------------------------------------------------

    def action_all_configs(self) -> None:
        self.query_one("#configs", SelectionList).select_all()

    def action_default_configs(self) -> None:
        configs = self.query_one("#configs", SelectionList)
        configs.deselect_all()
        for c in self.app.project.training:
            if c.enabled:
                configs.select(c.name)

    @on(Button.Pressed, "#launch")
    async def action_launch(self) -> None:
        try:
            plan = self.build()
            backend = self.app.make_backend(plan)
        except EwtuiError as err:
            self.notify(str(err), severity="error", timeout=10)
            return
        except ValueError as err:
            self.notify(f"Cannot plan this run: {refusal(err)}", severity="error", timeout=10)
            return
        self.app.start_run(plan, backend)


def refusal(err: ValueError) -> str:
    """One line for a refused form value: the option and pydantic's reason."""
    if isinstance(err, ValidationError):
        first = err.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(err)


def describe_plan(plan: Plan, project: ProjectConfig) -> Group:
    """The plan pane: what will run, where, and what it should cost."""
    opts = plan.options
    currency = project.pricing.currency
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("mode", f"{opts.mode} on {opts.backend}")
    preset = project.presets[plan.preset].description if plan.preset in project.presets else ""
    head.add_row("preset", f"{plan.preset}" + (f": {preset}" if preset else ""))
    head.add_row("cores", f"{plan.budget_cores} available at once")
    v = plan.validation
    if opts.validates:
        bot = f"{v.bot}:{v.mcts_sims}" if v.bot == "mcts" else v.bot
        head.add_row(
            "validation",
            f"{plan.matchups} matchups x 2 seats x {v.games} games, bot {bot},"
            f" {'sequential' if opts.sequential else 'one job per faction pair'}",
        )
    head.add_row("deploy", "yes" if opts.deploy and opts.trains else "no")

    jobs = Table(
        title="Jobs",
        title_justify="left",
        caption="size: generations x population x games per candidate, or the faction pair",
        caption_justify="left",
    )
    jobs.add_column("job", no_wrap=True, overflow="ellipsis")
    jobs.add_column("cores", justify="right", no_wrap=True, min_width=5)
    jobs.add_column("size")
    for t in plan.train_jobs():
        c = t.config
        jobs.add_row(
            t.id,
            str(t.cores),
            f"{c.generations} x {plan.population(c)} x {c.games}",
        )
    for vj in plan.validate_jobs():
        jobs.add_row(vj.id, str(vj.cores), vj.matchup or "all matchups")
    if not plan.train_jobs() and not plan.validate_jobs():
        jobs.add_row("(nothing to run)", "", "")

    cost = plan.cost_estimate()
    totals = Table.grid(padding=(0, 2))
    totals.add_column(style="bold")
    totals.add_column(justify="right")
    totals.add_row("training games", f"{plan.train_games():,}")
    totals.add_row("validation games", f"{plan.validation_game_count():,}")
    totals.add_row("total games", f"{plan.total_games():,}")
    totals.add_row("estimate", f"{cost.core_hours:.3g} core-hours")
    price = f"{cost.cost:.2f} {currency}"
    if opts.backend == "local":
        price += " on Modal; free on this machine"
    totals.add_row("cost", f"{price}  [dim](at {cost.price_per_core_hour:g} {currency}/core-h)[/]")
    return Group(Text("Plan", style="bold underline"), head, Text(""), jobs, Text(""), totals)
