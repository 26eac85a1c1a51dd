"""The audit log: refusals and rejections land in a JSONL file the user can read; I/O errors
are counted, never raised."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest
from redteam import world

from copilot.audit import AuditLog, default_path, read_entries, worth_logging
from routing.messages import Understanding
from safety.gate import Proposal, Review, Verdict
from safety.review import review

CTX = world.context()


def refused() -> Review:
    u = Understanding(text="turn off\u202e lane assist", intent="vehicle_control", confidence=0.9)
    return review(Proposal(u, "ok", "Done.", ()), CTX)


def test_refusals_are_appended_as_jsonl_with_reason_codes(tmp_path: Path) -> None:
    path = tmp_path / "state" / "copilot" / "audit.jsonl"
    log = AuditLog(path)
    assert log.record(refused(), text="turn off\u202e lane assist", at=world.NOW, turn_id="t1")
    assert log.record(refused(), text="again", at=world.NOW, served_by="cloud")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and log.written == 2 and log.errors == 0
    first = json.loads(lines[0])
    assert first["turn_id"] == "t1" and first["status"] == "refused"
    assert first["text"] == "turn off lane assist"  # the log never stores invisible characters
    assert [v["reason"] for v in first["verdicts"]] == ["safety_system_refused"]
    assert json.loads(lines[1])["served_by"] == "cloud"
    entries = list(read_entries(path))
    assert [e.status for e in entries if e] == ["refused", "refused"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_clean_passes_are_not_logged(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.jsonl")
    ok = Review("ok", "Okay.", (), (Verdict("request", "pass", "request_ok"),))
    assert not worth_logging(ok)
    assert worth_logging(Review("ok", "Okay.", (), (Verdict("reply", "fixed", "x"),)))
    assert worth_logging(Review("refused", "No.", (), ()))
    assert not log.record(ok, text="hi", at=world.NOW)
    assert not (tmp_path / "a.jsonl").exists()


def test_io_errors_are_counted_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    log = AuditLog(blocker / "sub" / "audit.jsonl")  # parent is a file: mkdir fails
    for _ in range(3):
        assert not log.record(refused(), text="x", at=world.NOW)
    assert (log.errors, log.written) == (3, 0)
    dir_as_file = tmp_path / "isdir.jsonl"
    dir_as_file.mkdir()
    log = AuditLog(dir_as_file)
    assert not log.record(refused(), text="x", at=world.NOW)
    assert log.errors == 1


def test_rotation_keeps_one_old_generation(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, max_bytes=600)
    for i in range(6):
        assert log.record(refused(), text=f"turn {i}", at=world.NOW)
    old = path.with_name("audit.jsonl.1")
    assert old.exists() and path.exists()
    texts = [e.text for p in (old, path) for e in read_entries(p) if e]
    assert texts[-1] == "turn 5" and len(texts) <= 6


def test_concurrent_writers_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    r = refused()

    def write() -> None:
        for _ in range(25):
            log.record(r, text="x" * 200, at=world.NOW)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = list(read_entries(path))
    assert len(entries) == 100 and all(e is not None for e in entries)


def test_unparsable_lines_read_as_none(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).record(refused(), text="x", at=world.NOW)
    with path.open("a") as fh:
        fh.write("{not json\n")
    assert [e is None for e in read_entries(path)] == [False, True]


def test_default_path_follows_xdg_state_home(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_path() == tmp_path / "copilot" / "audit.jsonl"
    assert AuditLog().path == tmp_path / "copilot" / "audit.jsonl"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_path() == Path.home() / ".local" / "state" / "copilot" / "audit.jsonl"
