import io
import os
import tarfile
from pathlib import Path

import pytest

from core.errors import UnsafeArchive
from core.snapshot import make_snapshot, safe_extract, snapshot_files


def tree(root: Path) -> None:
    """A data/ directory with what the jobs read and everything that must stay home."""
    files = {
        "rules.toml": "life = 30\n",
        "cards/argentum.toml": "[[card]]\n",
        "decks/argentum/iron.toml": "cards = []\n",
        "configs/training.toml": "[pricing]\n",
        "weights/generalist.toml": "a = 1\n",
        "weights/spec.json": "{}",
        "weights/specialists/argentum.toml": "a = 2\n",
        # Not read by any job, or possibly a secret: none of these may leave the machine.
        "weights/.history/generalist_20260101_000000.toml": "old",
        "weights/.generalist.toml.x1y2.tmp": "half-written",
        ".env": "SECRET=1",
        ".envrc": "export AWS_SECRET=1",
        "prod.env": "SECRET=3",
        ".pgpass": "db:5432:*:me:pw",
        "kubeconfig": "apiVersion: v1",
        ".docker/config.json": '{"auths": {}}',
        "configs/secrets.toml": "token = 'x'",
        "configs/token.json": "{}",
        "configs/api_token.txt": "x",
        "configs/service-account.json": "{}",
        "configs/notes.txt": "a note",
        "cards/deploy.pem": "pem",
        "decks/argentum/id.key": "key",
        ".modal.toml": "[default]\ntoken_id='x'",
        "credentials.json": "{}",
        "target/release/tune": "binary",
        "cards/__pycache__/x.pyc": "pyc",
    }
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (root / "cards" / "link_out.toml").symlink_to("/etc/passwd")
    outside = root.parent / "aws-credentials"
    outside.write_text("[default]\naws_secret_access_key = x\n")
    os.link(outside, root / "weights" / "specialists" / "symbiote.toml")  # a hard link


SENT = {
    "rules.toml",
    "cards/argentum.toml",
    "decks/argentum/iron.toml",
    "configs/training.toml",
    "weights/generalist.toml",
    "weights/spec.json",
    "weights/specialists/argentum.toml",
}


def test_snapshot_is_an_allow_list_of_what_the_jobs_read(tmp_path: Path) -> None:
    root = tmp_path / "data"
    tree(root)
    data = make_snapshot(root)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = set(tar.getnames())
    assert names == SENT


def test_snapshot_round_trips_through_safe_extract(tmp_path: Path) -> None:
    root = tmp_path / "data"
    tree(root)
    out = tmp_path / "out"
    extracted = safe_extract(make_snapshot(root), out)
    assert set(extracted) == SENT
    assert (out / "weights/specialists/argentum.toml").read_text() == "a = 2\n"


def test_the_shipped_data_is_sent_whole() -> None:
    data = Path(__file__).resolve().parents[1] / "data"
    shipped = {
        p.relative_to(data).as_posix()
        for p in data.rglob("*")
        if p.is_file() and ".history" not in p.parts and p.suffix in (".toml", ".json")
    }
    assert {p.as_posix() for p in snapshot_files(data)} >= shipped


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
        (member(""), "empty name"),
        (member("./"), "empty name"),
        (member("/".join(["d"] * 2500) + "/f.txt"), "deeper than"),
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
