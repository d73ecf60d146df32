import io
import tarfile
from pathlib import Path

import pytest

from core.errors import UnsafeArchive
from core.snapshot import make_snapshot, safe_extract


def tree(root: Path) -> None:
    files = {
        "data/rules.toml": "life = 30\n",
        "rust/engine/src/lib.rs": "// lib\n",
        "core/x.py": "x = 1\n",
        "rust/target/release/tune": "binary",
        "experiments/run/summary.json": "{}",
        ".git/HEAD": "ref",
        "core/__pycache__/x.cpython-311.pyc": "pyc",
        ".env": "SECRET=1",
        ".env.local": "SECRET=2",
        "deploy/server.pem": "pem",
        "deploy/id.key": "key",
        ".modal.toml": "[default]\ntoken_id='x'",
        "credentials.json": "{}",
        "data/weights/.history/generalist_20260101_000000.toml": "old",
    }
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (root / "link_out").symlink_to("/etc/passwd")


def test_snapshot_keeps_sources_and_drops_outputs_caches_and_secrets(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    tree(root)
    data = make_snapshot(root)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = set(tar.getnames())
    assert names == {"data/rules.toml", "rust/engine/src/lib.rs", "core/x.py"}


def test_snapshot_round_trips_through_safe_extract(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    tree(root)
    out = tmp_path / "out"
    extracted = safe_extract(make_snapshot(root), out)
    assert sorted(extracted) == ["core/x.py", "data/rules.toml", "rust/engine/src/lib.rs"]
    assert (out / "rust/engine/src/lib.rs").read_text() == "// lib\n"


def tar_with(member: tarfile.TarInfo, payload: bytes = b"x") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        ok = tarfile.TarInfo("fine.txt")
        ok.size = 1
        tar.addfile(ok, io.BytesIO(b"y"))
        if member.isfile():
            member.size = len(payload)
            tar.addfile(member, io.BytesIO(payload))
        else:
            tar.addfile(member)
    return buf.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    m.type = kind
    m.linkname = link
    return m


@pytest.mark.parametrize(
    ("m", "why"),
    [
        (member("../evil.txt"), "`..`"),
        (member("a/../../evil.txt"), "`..`"),
        (member("/etc/evil.txt"), "absolute"),
        (member("link", tarfile.SYMTYPE, "/etc/passwd"), "link"),
        (member("hard", tarfile.LNKTYPE, "fine.txt"), "link"),
        (member("dev", tarfile.CHRTYPE), "not a regular file"),
    ],
)
def test_unsafe_archives_are_rejected_and_nothing_is_written(
    tmp_path: Path, m: tarfile.TarInfo, why: str
) -> None:
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchive, match=why) as info:
        safe_extract(tar_with(m), dest)
    assert info.value.exit_code == 2
    assert not dest.exists() or not any(dest.iterdir())
    assert not (tmp_path / "evil.txt").exists()


def test_garbage_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(UnsafeArchive, match="not a readable tar"):
        safe_extract(b"definitely not a tarball", tmp_path / "d")
