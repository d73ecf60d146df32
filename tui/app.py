"""The ewtui Textual application: screens, key map, and the app-level pipeline worker.

The pipeline runs in a worker owned by the app, not by a screen, so a run carries on whichever
screen is showing. The worker only posts `PipelineMessage`s; the app folds them into a `RunView`
that the monitor screen draws from.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import math
import sys
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from core.errors import EwtuiError
from core.paths import Workspace

if TYPE_CHECKING:
    from core.backend import Backend
    from core.config import ProjectConfig
    from core.events import PipelineEvent
    from core.plan import Plan, RunOptions
    from tui.widgets.run_view import RunView

SCREENS_BY_MODE = {
    "launch": "Launch",
    "monitor": "Monitor",
    "experiments": "Experiments",
    "matrix": "Validation matrix",
    "weights": "Weights",
    "ladder": "Strength ladder",
}


SCREENS = Binding.Group("Screens", compact=True)
"""The six screen keys share one footer entry: `lmevwa Screens`."""


class PipelineMessage(Message):
    """One event of the running pipeline, posted by the pipeline worker."""

    def __init__(self, event: PipelineEvent) -> None:
        super().__init__()
        self.event = event


SCREEN_CLASSES = {
    "launch": ("tui.screens.launch", "LaunchScreen"),
    "monitor": ("tui.screens.monitor", "MonitorScreen"),
    "experiments": ("tui.screens.experiments", "ExperimentsScreen"),
    "matrix": ("tui.screens.matrix", "MatrixScreen"),
    "weights": ("tui.screens.weights", "WeightsScreen"),
    "ladder": ("tui.screens.ladder", "LadderScreen"),
}
"""Each mode's screen: its module (imported on first use, so start-up pays only for the
launch screen's) and its class."""


def _mode_screen(mode: str) -> Callable[[], Screen[Any]]:
    module, name = SCREEN_CLASSES[mode]

    def make() -> Screen[Any]:
        screen: Screen[Any] = getattr(importlib.import_module(module), name)()
        return screen

    return make


WARM_UP_ORDER = ("experiments", "matrix", "weights", "monitor", "ladder")
"""The screens built in the background once the launch form is drawn, the likeliest first."""

WARM_UP_QUIET_S = 0.5
"""The warm-up builds the next screen only once no key was pressed for this long."""

WARM_UP_WAIT_S = 10.0
"""How long the warm-up waits for a built screen's workers before it renders the screen."""

BUSY_CLASSES = ("listing", "reading", "busy")
"""The classes a screen has while a worker thread reads (or writes) what it will show."""


def screen_filled(screen: Screen[Any]) -> bool:
    """Whether `screen` shows what its worker threads read: a screen filled by workers
    (`FILLED_BY_WORKERS`) has the class `loaded` once they first did, and no screen has one
    of `BUSY_CLASSES` while they read."""
    if getattr(screen, "FILLED_BY_WORKERS", False) and not screen.has_class("loaded"):
        return False
    return not any(screen.has_class(c) for c in BUSY_CLASSES)


class EwtuiApp(App[None]):
    """Control center for training and balancing the Essence Wars bots."""

    TITLE = "ewtui"
    SUB_TITLE = "Essence Wars control center"
    CSS_PATH = "ewtui.tcss"
    MODES: ClassVar[dict[str, Callable[[], Screen[Any]]]] = {  # type: ignore[assignment]
        mode: _mode_screen(mode) for mode in SCREEN_CLASSES
    }
    DEFAULT_MODE = "launch"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]
    """Screens get `-narrow` below 110 columns: side panes fold away or stack (ewtui.tcss)."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "l", "show('launch')", "Launch", tooltip="Pick configs and start a run", group=SCREENS
        ),
        Binding("m", "show('monitor')", "Monitor", tooltip="Watch the running jobs", group=SCREENS),
        Binding(
            "e", "show('experiments')", "Experiments", tooltip="Browse experiments", group=SCREENS
        ),
        Binding(
            "v", "show('matrix')", "Matrix", tooltip="Validation win-rate matrix", group=SCREENS
        ),
        Binding(
            "w",
            "show('weights')",
            "Weights",
            tooltip="Weights diff, deploy, roll back",
            group=SCREENS,
        ),
        Binding(
            "a",
            "show('ladder')",
            "Ladder",
            tooltip="Strength ladder: Elo of every bot",
            group=SCREENS,
        ),
        # `?` and `q` are pinned to the right of every footer (tui/widgets/footer.py).
        Binding(
            "question_mark", "help", "Help", key_display="?", tooltip="List the keys", show=False
        ),
        Binding(
            "ctrl+x",
            "cancel_run",
            "Cancel run",
            show=False,
            tooltip="Cancel the whole run (asks first)",
        ),
        Binding("q", "quit", "Quit", tooltip="Quit (asks first while a run is going)", show=False),
    ]

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        backend_factory: Callable[[str, RunOptions], Backend] | None = None,
        remote_runs: Any = None,
        warm_up: bool | None = None,
    ) -> None:
        super().__init__()
        # Build the other screens ahead of their keys (`warm_up`); None: only with a terminal
        # (a headless app, as in tests and scripts, has nobody waiting for a key).
        self._warm_up_wanted = warm_up
        self.workspace = workspace if workspace is not None else Workspace.find()
        # The runs on Modal (tui/screens/remote_runs.py); None: Modal's, made on first use.
        self.remote_runs = remote_runs
        self._project: ProjectConfig | None = None
        self._backend_factory = backend_factory
        self._run_view: RunView | None = None
        self.backend: Backend | None = None
        self.pipeline_worker: Worker[Any] | None = None
        self._matrix_request: str | None = None
        self._weights_request: str | None = None
        self.warm_up_worker: Worker[None] | None = None
        self._run_folded = True
        self._last_input = -math.inf
        """When a key or a click last came (`time.monotonic()`; never yet: -inf)."""
        self._building_aside: dict[str, asyncio.Event] = {}
        """The screens the warm-up is building (by mode), set once mounted and filled."""
        self.startup_error: EwtuiError | None = None
        """Why the app could not start (a bad project file), printed by `run_app` once the
        terminal is restored."""

    # -- shared core objects -------------------------------------------------------------------

    @property
    def project(self) -> ProjectConfig:
        """The project configuration (`data/configs/training.toml`), loaded once."""
        if self._project is None:
            from core.config import load_project_config

            self._project = load_project_config(self.workspace.configs_file)
        return self._project

    def fail_to_start(self, err: EwtuiError) -> None:
        """The project could not be read: leave at once; `run_app` prints the one line."""
        self.startup_error = err
        self.exit(return_code=err.exit_code)

    def make_backend(self, plan: Plan) -> Backend:
        """The backend `plan` goes to; the same choice (and preflight) as `ewtui --run`."""
        if self._backend_factory is not None:
            return self._backend_factory(plan.options.backend, plan.options)
        from tui.backends import make_backend

        return make_backend(self.workspace, plan)

    # -- the run -------------------------------------------------------------------------------

    @property
    def run_view(self) -> RunView:
        """What the monitor draws; made on first use, so start-up does not load the event
        models (the launch screen does not need them)."""
        if self._run_view is None:
            from tui.widgets.run_view import RunView

            self._run_view = RunView()
        return self._run_view

    @run_view.setter
    def run_view(self, view: RunView) -> None:
        self._run_view = view

    @property
    def running(self) -> bool:
        """A run is going: its worker has not ended, or its end (the run record) is not yet
        folded into the run view (the worker's state changes before the app is told)."""
        worker = self.pipeline_worker
        if worker is None:
            return False
        if worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return True
        return not self._run_folded

    def start_run(self, plan: Any, backend: Backend) -> None:
        """Start the pipeline for `plan` in the app-level worker and show the monitor."""
        if self.running:
            self.notify("A run is already going; cancel it first (ctrl+x).", severity="warning")
            return
        self.backend = backend
        from tui.widgets.run_view import RunView

        self.run_view = RunView.from_plan(plan)
        self._run_folded = False
        self.pipeline_worker = self.run_worker(
            self._run_pipeline(plan, backend),
            name="pipeline",
            group="pipeline",
            exit_on_error=False,
        )
        self.switch_mode("monitor")

    async def _run_pipeline(self, plan: Any, backend: Backend) -> Any:
        from core.runner import run_pipeline

        def emit(event: PipelineEvent) -> None:
            self.post_message(PipelineMessage(event))

        return await run_pipeline(plan, backend, self.workspace, emit)

    def on_pipeline_message(self, message: PipelineMessage) -> None:
        self.run_view.apply(message.event)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.pipeline_worker:
            return
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self._run_folded = True
        view = self.run_view
        if event.state == WorkerState.SUCCESS:
            record = event.worker.result
            view.record = record
            view.end(str(getattr(record, "state", "ok")))
            severity = "information" if view.label.startswith("done") else "warning"
            self.notify(f"Run {view.run_id} finished: {view.label}", severity=severity, timeout=8)
        elif event.state == WorkerState.ERROR:
            view.end("failed")
            err = event.worker.error
            self.notify(f"Run {view.run_id} failed: {err}", severity="error", timeout=15)
        elif event.state == WorkerState.CANCELLED:
            view.end("interrupted")
            self.notify(f"Run {view.run_id} cancelled", severity="warning")

    def _ask(
        self,
        question: str,
        yes: str,
        again: str | None,
        then: Callable[[Any], Any],
        other: tuple[str, str] | None = None,
    ) -> None:
        from tui.screens.confirm import ConfirmScreen

        self.push_screen(ConfirmScreen(question, yes, again=again, other=other), then)

    def cancel_job(self, job_id: str, key: str | None = None) -> None:
        """Cancel one job of the running pipeline, after a confirmation (`key` again or `y`)."""
        if self.backend is None or not self.running:
            self.notify("No run is going.", severity="warning")
            return
        backend = self.backend

        def answer(yes: object) -> None:
            if yes is True and self.running:
                backend.cancel(job_id)
                self.notify(f"Cancelling {job_id}")

        self._ask(
            f"Cancel job {job_id}? The rest of the run goes on; the job's work so far is lost.",
            "Cancel job",
            key,
            answer,
        )

    def action_cancel_run(self, key: str = "ctrl+x") -> None:
        """Cancel the pipeline task, after a confirmation: the pipeline stops its jobs, keeps
        what finished, and saves the run as interrupted."""
        if self.pipeline_worker is None or not self.running:
            self.notify("No run is going.", severity="warning")
            return

        def answer(yes: object) -> None:
            if yes is True:
                self.cancel_run_now()

        self._ask(
            f"Cancel run {self.run_view.run_id}? Every job stops; finished results are kept and"
            " the run is saved as interrupted.",
            "Cancel run",
            key,
            answer,
        )

    def cancel_run_now(self) -> None:
        """Stop the run: locally the pipeline task; a run on Modal is cancelled there first
        (stopping the pipeline here would only stop following it)."""
        if self.pipeline_worker is None or not self.running:
            return
        cancel_remote = getattr(self.backend, "cancel_remote", None)
        worker = self.pipeline_worker
        if callable(cancel_remote):

            async def cancel_there() -> None:
                with contextlib.suppress(Exception):
                    await cancel_remote()
                worker.cancel()

            self.run_worker(cancel_there(), name="cancel-remote", exit_on_error=False)
        else:
            worker.cancel()
        self.notify("Cancelling the run; finished results are kept")

    async def action_quit(self) -> None:
        """Quit; while a run is going, ask first (`q` again or `y`). A run on Modal goes on
        when this client leaves: the question says so and offers to cancel it there (`x`)."""
        if self.pipeline_worker is None or not self.running:
            self.exit()
            return
        run_id = self.run_view.run_id
        cancel_remote = getattr(self.backend, "cancel_remote", None)
        if callable(cancel_remote):

            async def answer_modal(choice: object) -> None:
                if choice == "x":
                    with contextlib.suppress(Exception):
                        await cancel_remote()
                if choice in (True, "x"):
                    await self.quit_now()

            self._ask(
                f"Run {run_id} runs on Modal. Quit and leave it running there? Follow it again"
                f" with `ewtui attach {run_id}`.",
                "Leave it running and quit",
                "q",
                answer_modal,
                ("x", "Cancel it on Modal and quit"),
            )
            return

        async def answer(choice: object) -> None:
            if choice is True:
                await self.quit_now()

        self._ask(
            f"Run {run_id} is going. Quit and cancel it? Finished results are kept and the run"
            " is saved as interrupted.",
            "Cancel run and quit",
            "q",
            answer,
        )

    async def quit_now(self) -> None:
        """Stop the pipeline here (a local run is cancelled; a run on Modal is left going),
        wait for it to save, and exit."""
        if self.pipeline_worker is not None and self.running:
            self.pipeline_worker.cancel()
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self.pipeline_worker.wait()
        self.exit()

    # -- building the screens ahead of their key -------------------------------------------------

    def warm_up(self) -> None:
        """Build every other screen in the background (called once the launch form is drawn:
        the app is idle then, and start-up does not pay for it), so that a screen's first key
        only shows a screen already composed, mounted, laid out and filled by its workers.
        Nothing happens when the app was made with `warm_up=False`, or headless by default."""
        wanted = self._warm_up_wanted
        if wanted is None:
            wanted = not self.is_headless
        if wanted and self.warm_up_worker is None:
            self.warm_up_worker = self.run_worker(
                self._warm_up(), name="warm-up", group="warm-up", exit_on_error=False
            )

    @property
    def warmed_up(self) -> bool:
        worker = self.warm_up_worker
        return worker is not None and worker.state == WorkerState.SUCCESS

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self._last_input = time.monotonic()
        await super().on_event(event)

    async def _quiet(self) -> None:
        """Wait until the user has not typed for `WARM_UP_QUIET_S` and the screen shown is
        filled: what the user is doing comes before building a screen they may never open."""
        while self.is_running:
            typed = time.monotonic() - self._last_input < WARM_UP_QUIET_S
            if not typed and screen_filled(self.screen):
                return
            await asyncio.sleep(0.05)

    async def _warm_up(self) -> None:
        """Build the screens of `WARM_UP_ORDER` one at a time, in steps (import, mount, fill,
        lay out, render), each taken only once the user is quiet (`_quiet`): a key pressed
        during a step waits at most for the rest of that step, never for the build of the
        whole screen, let alone of the next ones."""
        for mode in WARM_UP_ORDER:
            await self._quiet()
            if mode in self._screen_stacks:
                continue  # its key came first: built on the key
            # The module is imported in a thread, so keys are answered meanwhile.
            await asyncio.to_thread(importlib.import_module, SCREEN_CLASSES[mode][0])
            await self._quiet()
            if self._exit or not self.is_running:  # closing: no new screen
                return
            if mode in self._screen_stacks:
                continue
            built = self._building_aside[mode] = asyncio.Event()
            try:
                screen = await self._mount_aside(mode)
                await self._until_filled(screen)
            finally:
                built.set()
                del self._building_aside[mode]
            await asyncio.sleep(0)  # its key, if pressed meanwhile, shows it now
            for step in self._prerender_steps(screen):
                await self._quiet()
                if screen.is_current or not screen.is_attached or not self.is_running:
                    break  # shown meanwhile: its own frame lays it out and renders it
                step()
            await asyncio.sleep(0)

    async def _mount_aside(self, mode: str) -> Screen[Any]:
        """Textual's first step of `switch_mode` (the mode's stack, its screen mounted and
        sized to the app), without making the mode current, and without holding the app's
        message queue until the mount is over as `App._init_mode` does: a key pressed
        meanwhile is handled at once (this screen's own key shows it once it is built)."""
        screen = _mode_screen(mode)()
        widgets = self._register(self, screen)
        self._screen_stacks[mode] = [screen]
        self._load_screen_css(screen)
        screen.post_message(events.ScreenResume())
        screen._screen_resized(self.size)
        await AwaitMount(screen, widgets)
        return screen

    async def _until_filled(self, screen: Screen[Any], timeout: float = WARM_UP_WAIT_S) -> None:
        """Wait (at most `timeout` seconds) until `screen` shows what its workers read."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not screen_filled(screen) and loop.time() < deadline:
            await asyncio.sleep(0.05)

    def _prerender_steps(self, screen: Screen[Any]) -> tuple[Callable[[], Any], ...]:
        """Lay out, then render, a built screen that is not showing (two steps, so a key can
        come between them), and drop the picture: its widgets keep their rendered lines, so
        its first frame when shown reuses them instead of rendering every line then."""
        return (
            partial(screen._refresh_layout, self.size),
            screen._compositor.render_strips,
        )

    # -- navigation and help -------------------------------------------------------------------

    async def action_show(self, mode: str) -> None:
        if self._exit:  # keys typed after quit must not build a screen on a closing app
            return
        building = self._building_aside.get(mode)
        if building is not None:
            # Its screen is being built ahead: shown once mounted and filled. Shown while it
            # mounts, it would be laid out and painted at every widget mounted, which makes
            # the mount, and so its first frame with data, far slower.
            await building.wait()
        await self.switch_mode(mode)

    async def open_matrix(self, path: str) -> None:
        """Show the validation run in `path` on the matrix screen."""
        self._matrix_request = path
        if self.current_mode == "matrix":
            self.screen.post_message(events.ScreenResume())
        await self.switch_mode("matrix")

    async def open_weights(self, experiment_id: str) -> None:
        """Show the diff of a training experiment's weights on the weights screen."""
        self._weights_request = experiment_id
        await self.switch_mode("weights")

    def take_matrix_request(self) -> str | None:
        request, self._matrix_request = self._matrix_request, None
        return request

    def take_weights_request(self) -> str | None:
        request, self._weights_request = self._weights_request, None
        return request

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        else:
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every key action of the app and of the current screen is also a palette command."""
        for title, help_text, callback in self.action_commands(screen):
            yield SystemCommand(title, help_text, callback)
        yield from super().get_system_commands(screen)

    def action_commands(self, screen: Screen[Any]) -> Iterable[tuple[str, str, Callable[[], Any]]]:
        """(title, help, callback) for each described binding of the app and of `screen`."""
        screen_name = SCREENS_BY_MODE.get(self.current_mode, "")
        for node, bindings in ((self, self.BINDINGS), (screen, getattr(screen, "BINDINGS", []))):
            for binding in bindings:
                if not isinstance(binding, Binding) or not binding.description:
                    continue
                title = binding.description
                if node is screen and screen_name:
                    title = f"{screen_name}: {title}"
                help_text = binding.tooltip or binding.description
                yield title, help_text, partial(self.run_action, binding.action, node)


def run_app() -> int:
    """Open the control center; bad configuration exits with one line and its exit code. The
    exit code of the app: not 0 when it crashed."""
    try:
        app = EwtuiApp()
    except EwtuiError as err:
        print(f"ewtui: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    # The project file is read after the first frame (tui.screens.launch); a bad one ends the
    # app at once and is reported here, after the terminal is restored.
    app.run()
    if app.startup_error is not None:
        print(f"ewtui: {app.startup_error}", file=sys.stderr)
        sys.exit(app.startup_error.exit_code)
    return app.return_code or 0
