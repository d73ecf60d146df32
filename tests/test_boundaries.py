"""What the import-linter contracts (pyproject.toml, run by scripts/test.sh) cannot see: they
read imports statically, and `ewtui`'s command module imports the Textual app lazily, inside
the command that opens it. This checks at run time that the headless front end loads neither
textual nor modal (`ewtui --run` and `ewtui --help` stay fast and work without a terminal)."""

import subprocess
import sys

from conftest import REPO


def loaded_after(imports: list[str]) -> set[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in imports)
        + ("print(' '.join(sorted(m for m in sys.modules)))")
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def test_headless_front_end_does_not_load_textual() -> None:
    mods = loaded_after(["tui.cli", "tui.headless", "tui.backends"])
    assert not {m for m in mods if m.split(".")[0] in ("textual", "modal")}
