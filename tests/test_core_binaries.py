import os
import stat
from pathlib import Path

import pytest

from core.binaries import ensure_binaries, needs_build, sources_fingerprint
from core.errors import ConfigError
from core.paths import Workspace


def test_bin_dir_env_is_used_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace(tmp_path)
    d = tmp_path / "bins"
    d.mkdir()
    monkeypatch.setenv("EWTUI_BIN_DIR", str(d))
    with pytest.raises(ConfigError, match=r"EWTUI_BIN_DIR=.*no executable tune or validate"):
        ensure_binaries(ws)
    for n in ("tune", "validate"):
        (d / n).write_text("#!/bin/sh\n")
        (d / n).chmod(0o755)
    bins = ensure_binaries(ws)
    assert bins.tune == d / "tune" and bins.validate == d / "validate"
    # A relative directory is taken from where ewtui starts, not from where a job runs.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EWTUI_BIN_DIR", "bins")
    assert ensure_binaries(ws).tune == d.resolve() / "tune"


def rust_tree(root: Path) -> Workspace:
    (root / "rust" / "engine" / "src").mkdir(parents=True)
    (root / "rust" / "Cargo.toml").write_text("[workspace]\n")
    (root / "rust" / "engine" / "src" / "lib.rs").write_text("// a\n")
    return Workspace(root)


def test_missing_cargo_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = rust_tree(tmp_path)
    monkeypatch.delenv("EWTUI_BIN_DIR", raising=False)
    monkeypatch.delenv("CARGO_TARGET_DIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ConfigError) as info:
        ensure_binaries(ws)
    msg = str(info.value)
    assert msg.startswith("cargo not found: install Rust") and "EWTUI_BIN_DIR" in msg
    assert "\n" not in msg


def test_fingerprint_follows_sources_not_build_output(tmp_path: Path) -> None:
    ws = rust_tree(tmp_path)
    before = sources_fingerprint(ws.rust_dir)
    (ws.rust_dir / "target" / "release").mkdir(parents=True)
    (ws.rust_dir / "target" / "release" / "x.rs").write_text("noise")
    assert sources_fingerprint(ws.rust_dir) == before
    lib = ws.rust_dir / "engine" / "src" / "lib.rs"
    lib.write_text("// changed source\n")
    assert sources_fingerprint(ws.rust_dir) != before


def test_build_runs_once_then_again_after_a_source_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in cargo on PATH records each build; the real build is covered end to end."""
    ws = rust_tree(tmp_path)
    calls = tmp_path / "calls"
    fakebin = tmp_path / "path"
    fakebin.mkdir()
    cargo = fakebin / "cargo"
    cargo.write_text(
        "#!/bin/sh\n"
        f"echo build >> {calls}\n"
        "mkdir -p target/release\n"
        "for b in tune validate; do printf '#!/bin/sh\\n' > target/release/$b; "
        "chmod +x target/release/$b; done\n"
    )
    cargo.chmod(cargo.stat().st_mode | stat.S_IEXEC)
    monkeypatch.delenv("EWTUI_BIN_DIR", raising=False)
    monkeypatch.delenv("CARGO_TARGET_DIR", raising=False)
    monkeypatch.setenv("PATH", f"{fakebin}{os.pathsep}/usr/bin:/bin")
    assert needs_build(ws)
    ensure_binaries(ws)
    assert not needs_build(ws)
    ensure_binaries(ws)
    assert calls.read_text().count("build") == 1
    (ws.rust_dir / "engine" / "src" / "lib.rs").write_text("// edited\n")
    assert needs_build(ws)
    bins = ensure_binaries(ws)
    assert calls.read_text().count("build") == 2
    assert bins.tune == ws.rust_dir / "target" / "release" / "tune"
