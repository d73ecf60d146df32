"""Import boundaries: core never imports textual or modal; remote never imports textual."""

import subprocess
import sys

from conftest import REPO

CORE_MODULES = [
    "core.errors",
    "core.paths",
    "core.fsutil",
    "core.events",
    "core.config",
    "core.binaries",
    "core.jobs",
    "core.backend",
    "core.local",
    "core.plan",
    "core.pipeline",
    "core.experiments",
    "core.validation",
    "core.stats",
    "core.weights",
    "core.snapshot",
    "core.cost",
]


def loaded_after(imports: list[str]) -> set[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in imports)
        + ("print(' '.join(sorted(m for m in sys.modules)))")
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def test_core_imports_neither_textual_nor_modal() -> None:
    mods = loaded_after(CORE_MODULES)
    assert not {m for m in mods if m.split(".")[0] in ("textual", "modal")}


def test_headless_front_end_does_not_load_textual() -> None:
    mods = loaded_after(["tui.cli", "tui.headless"])
    assert not {m for m in mods if m.split(".")[0] in ("textual", "modal")}


def test_remote_never_imports_textual() -> None:
    remote = sorted(
        p.relative_to(REPO).with_suffix("").as_posix().replace("/", ".")
        for p in (REPO / "remote").glob("*.py")
        if p.name != "__init__.py"
    )
    mods = loaded_after(["remote", *remote])
    assert not {m for m in mods if m.split(".")[0] == "textual"}
