"""Launch: choose what to run, see the plan and its cost, start it.

The screen's first frame is drawn before the project file is read: a worker thread reads
`training.toml` and the earlier runs' records (and loads pydantic and the plan's models on the
way), then the form is filled and the plan drawn (`#plan` gets the class `plan-ready`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Static

from core.errors import EwtuiError
from tui.screens.mode import ModeScreen
from tui.widgets.footer import AppFooter

if TYPE_CHECKING:
    from textual import events
    from textual.widgets import Button

    from core.config import ProjectConfig
    from core.plan import Plan, RunOptions
    from tui.app import EwtuiApp

BACKENDS = ("local", "modal")


class LaunchScreen(ModeScreen):
    HELP_TITLE = "Launch"
    AUTO_FOCUS = "#configs"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "launch", "Start run", tooltip="Start the run shown in the plan"),
        Binding("ctrl+a", "all_configs", "All configs", tooltip="Select every training config"),
        Binding("ctrl+d", "default_configs", "Default configs", tooltip="Select the enabled ones"),
    ]

    app: EwtuiApp

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield VerticalScroll(id="launch-form")
            with VerticalScroll(id="plan-pane"):
                yield Static(
                    Text(f"Reading {self.app.workspace.configs_file.name} ...", style="dim"),
                    id="plan",
                )
        yield AppFooter()

    def form(self, project: ProjectConfig) -> list[Any]:
        """The form's widgets, made once the project is read (and core.plan loaded). Their
        classes are imported here too: the first frame does not need them."""
        from textual.widgets import Button, Input, Label, Select
        from textual.widgets.selection_list import Selection

        from core.plan import MODES
        from tui.widgets.marks import TickCheckbox, TickSelectionList

        def field(label: str, widget: Any) -> Horizontal:
            return Horizontal(Label(label), widget, classes="field")

        return [
            Label("Training configs (space toggles)", id="configs-label"),
            TickSelectionList(
                *[
                    Selection(f"{c.name}  [dim]{c.mode} {c.faction or ''}[/]", c.name, c.enabled)
                    for c in project.training
                ],
                id="configs",
                compact=True,
            ),
            field(
                "Mode",
                Select(
                    [(m, m) for m in MODES],
                    value="full",
                    allow_blank=False,
                    id="mode",
                    compact=True,
                ),
            ),
            field(
                "Backend",
                Select(
                    [(b, b) for b in BACKENDS],
                    value="local",
                    allow_blank=False,
                    id="backend",
                    compact=True,
                ),
            ),
            field(
                "Preset",
                Select(
                    [(name, name) for name in project.presets],
                    value=project.default_preset,
                    allow_blank=False,
                    id="preset",
                    compact=True,
                ),
            ),
            field(
                "Val. games",
                Input(
                    placeholder="per seat order (preset's)",
                    type="integer",
                    id="games",
                    compact=True,
                ),
            ),
            TickCheckbox("sequential validation", False, id="sequential", compact=True),
            TickCheckbox("deploy trained weights", True, id="deploy", compact=True),
            TickCheckbox("force deploy (skip gate)", False, id="force-deploy", compact=True),
            Button("Start run (ctrl+r)", variant="primary", id="launch", compact=True),
        ]

    def on_mount(self) -> None:
        self._calibration: float | None = None
        self._plan_seq = 0
        self.ready = False
        # After the first frame: the worker's imports would otherwise compete with it.
        self.call_after_refresh(self.load_project)

    @work(thread=True, exclusive=True, group="project")
    def load_project(self) -> None:
        """Read the project and the earlier runs' records off the event loop, and build the
        default plan once so that pydantic builds the plan's validators here too."""
        from core.cost import calibration_from_records
        from core.plan import RunOptions, build_plan

        app = self.app
        try:
            project = app.project
            factor = calibration_from_records(app.workspace.runs_dir)
            build_plan(project, RunOptions(), app.workspace, calibration=factor)
        except EwtuiError as err:
            app.call_from_thread(app.fail_to_start, err)
            return
        except ValueError:
            pass  # a plan the form will refuse with its reason
        app.call_from_thread(self._fill_form, project, factor)

    async def _fill_form(self, project: ProjectConfig, factor: float) -> None:
        self._calibration = factor
        form = self.query_one("#launch-form", VerticalScroll)
        await form.mount_all(self.form(project))
        self.ready = True
        self.refresh_plan()
        self.query_one("#configs").focus()
        form.scroll_home(animate=False)

    # -- reading the form ------------------------------------------------------------------------

    def options(self) -> RunOptions:
        from textual.widgets import Checkbox, Input, Select

        from core.plan import RunOptions

        games_text = self.query_one("#games", Input).value.strip()
        deploy = self.query_one("#deploy", Checkbox).value
        return RunOptions(
            mode=self.query_one("#mode", Select).value,
            backend=self.query_one("#backend", Select).value,
            preset=str(self.query_one("#preset", Select).value),
            validation_games=int(games_text) if games_text else None,
            sequential=self.query_one("#sequential", Checkbox).value,
            deploy=deploy,
            force_deploy=deploy and self.query_one("#force-deploy", Checkbox).value,
        )

    def selected_configs(self) -> list[str]:
        """The selected training configs, in the order of the project's files."""
        from textual.widgets import SelectionList

        chosen = set(self.query_one("#configs", SelectionList).selected)
        return [c.name for c in self.app.project.training if c.name in chosen]

    def build(self) -> Plan:
        """The plan of the form's choices: exactly the selected training configs."""
        from core.plan import build_plan

        options = self.options().model_copy(update={"configs": self.selected_configs()})
        # Until the worker has read the earlier runs, the plan is uncalibrated (1.0).
        calibration = getattr(self, "_calibration", None) or 1.0
        return build_plan(self.app.project, options, self.app.workspace, calibration=calibration)

    # -- the plan pane ---------------------------------------------------------------------------

    # Any change of the form redraws the plan (handlers by name: the widget classes are not
    # imported before the form is made).
    def on_selection_list_selected_changed(self, _: events.Event) -> None:
        self.refresh_plan()

    def on_select_changed(self, _: events.Event) -> None:
        self.refresh_plan()

    def on_input_changed(self, _: events.Event) -> None:
        self.refresh_plan()

    def on_checkbox_changed(self, _: events.Event) -> None:
        self.refresh_plan()

    def refresh_plan(self) -> None:
        """Draw the plan of the form's choices. The plan is built in a worker thread (it
        counts the decks and reads the weight spec); the screen has the class `busy` meanwhile,
        and only the plan of the newest choices is drawn."""
        if not getattr(self, "ready", False):
            return  # the form is being filled; it draws the plan once it is complete
        from textual.widgets import Checkbox

        force = self.query_one("#force-deploy", Checkbox)
        force.disabled = not self.query_one("#deploy", Checkbox).value
        self._plan_seq += 1
        try:
            options = self.options().model_copy(update={"configs": self.selected_configs()})
        except ValueError as err:  # a value the options refuse (e.g. games <= 0)
            refused = Text(f"Cannot plan this run: {refusal(err)}", style="bold red")
            self._plan_drawn(self._plan_seq, refused)
            return
        self.add_class("busy")
        self._build_plan(options, self._plan_seq)

    @work(thread=True, exclusive=True, group="plan")
    def _build_plan(self, options: RunOptions, seq: int) -> None:
        from core.plan import build_plan

        app = self.app
        calibration = getattr(self, "_calibration", None) or 1.0
        try:
            plan = build_plan(app.project, options, app.workspace, calibration=calibration)
            shown: Any = describe_plan(plan, app.project)
        except EwtuiError as err:
            shown = Text(f"Cannot plan this run: {err}", style="bold red")
        except ValueError as err:
            shown = Text(f"Cannot plan this run: {refusal(err)}", style="bold red")
        app.call_from_thread(self._plan_drawn, seq, shown)

    def _plan_drawn(self, seq: int, shown: Any) -> None:
        if seq != self._plan_seq:
            return  # the form changed meanwhile: the newer plan is on its way
        self.remove_class("busy")
        pane = self.query_one("#plan", Static)
        pane.update(shown)
        if not pane.has_class("plan-ready"):
            pane.add_class("plan-ready")
            # The form and its plan are drawn and the app is idle: build the other screens
            # now (tui.app).
            self.call_after_refresh(self.app.warm_up)

    # -- actions ---------------------------------------------------------------------------------

    def action_all_configs(self) -> None:
        if not self.ready:
            return
        from textual.widgets import SelectionList

        self.query_one("#configs", SelectionList).select_all()

    def action_default_configs(self) -> None:
        if not self.ready:
            return
        from textual.widgets import SelectionList

        configs = self.query_one("#configs", SelectionList)
        configs.deselect_all()
        for c in self.app.project.training:
            if c.enabled:
                configs.select(c.name)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "launch":
            await self.action_launch()

    async def action_launch(self) -> None:
        if not self.ready:
            self.notify("The form is still being read.", severity="warning")
            return
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
    from pydantic import ValidationError

    if isinstance(err, ValidationError):
        first = err.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(err)


def describe_plan(plan: Plan, project: ProjectConfig) -> Group:
    """The plan pane: what it should cost and take first (it must fit above the fold at 80x24),
    then what will run and where."""
    from core.cost import fmt_core_hours, fmt_duration, fmt_money

    opts = plan.options
    currency = project.pricing.currency
    cost = plan.cost_estimate()
    where = "on Modal, per container" if opts.backend == "modal" else "on this machine"
    totals = Table.grid(padding=(0, 1))
    totals.add_column(style="bold", no_wrap=True)
    totals.add_column()
    totals.add_row("time", f"about {fmt_duration(cost.wall_s or 0.0)} {where} (plus any build)")
    calibrated = f", x{plan.calibration:.2f} from earlier runs" if plan.calibration != 1.0 else ""
    totals.add_row("work", f"{fmt_core_hours(cost.core_hours)}{calibrated}")
    # What Modal bills for the same run (core.modal_estimate): every container's cores and
    # memory from its start to its scaledown.
    price = f"{fmt_money(cost.cost, currency)} on Modal"
    if opts.backend == "local":
        price = f"free here ({price})"
    totals.add_row(
        "cost",
        f"{price} [dim]({cost.reserved_core_hours or 0:.2f} core-h,"
        f" {cost.mem_gib_hours or 0:.2f} GiB-h billed)[/]",
    )
    totals.add_row(
        "games",
        f"{plan.total_games():,} ({plan.train_games():,} training,"
        f" {plan.validation_game_count():,} validation)",
    )

    head = Table.grid(padding=(0, 1))
    head.add_column(style="bold", no_wrap=True)
    head.add_column()
    head.add_row("mode", f"{opts.mode} on {opts.backend}, {plan.budget_cores} cores at once")
    preset = project.presets[plan.preset].description if plan.preset in project.presets else ""
    head.add_row("preset", f"{plan.preset}" + (f": {preset}" if preset else ""))
    v = plan.validation
    if opts.validates:
        bot = f"{v.bot}:{v.mcts_sims}" if v.bot == "mcts" else v.bot
        head.add_row(
            "validation",
            f"{plan.matchups} matchups x 2 seats x {v.games} games, bot {bot},"
            f" {'sequential' if opts.sequential else 'one job per faction pair'}",
        )
    deploy = "no"
    if opts.deploy and opts.trains:
        deploy = "yes, even if the gate refuses" if opts.force_deploy else "yes, if the gate agrees"
    head.add_row("deploy", deploy)

    jobs = Table(
        title="Jobs",
        title_justify="left",
        caption="size: generations x population x games, or the faction pair",
        caption_justify="left",
        expand=True,
        padding=(0, 1),
    )
    jobs.add_column("job", overflow="ellipsis", ratio=3, no_wrap=True)
    jobs.add_column("cores", justify="right", no_wrap=True, width=5)
    jobs.add_column("size", ratio=2, min_width=12)
    for t in plan.train_jobs():
        c = t.config
        jobs.add_row(t.id, str(t.cores), f"{c.generations}x{plan.population(c)}x{c.games}")
    for vj in plan.validate_jobs():
        jobs.add_row(vj.id, str(vj.cores), vj.matchup or "all matchups")
    if not plan.train_jobs() and not plan.validate_jobs():
        jobs.add_row("(nothing to run)", "", "")
    return Group(Text("Plan", style="bold underline"), totals, Text(""), head, Text(""), jobs)
