"""The local audit log: every refusal, rejection and fix the safety layer made, as JSONL.

One JSON object per line in a file the user can read (default
`~/.local/state/copilot/audit.jsonl`, or `$XDG_STATE_HOME/copilot/audit.jsonl`, read when the
log is created, never at import). `ask` and `serve` call `AuditLog.record(review, ...)` after
each turn; turns where every verdict passed are not written. Writing never raises: an I/O
error is counted (`errors`) and logged once, and the turn goes on. The directory is created
0700 and the file 0600 (it holds what the driver said). When the file passes `max_bytes` it
is rotated to `audit.jsonl.1` (one old generation kept).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from routing.messages import ServedBy, Status
from safety.gate import Review, Verdict
from safety.text import sanitize_untrusted

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 300
DEFAULT_MAX_BYTES = 10_000_000


def default_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "copilot" / "audit.jsonl"


class AuditEntry(BaseModel):
    """One line of the audit log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    turn_id: str | None = None
    text: str
    status: Status
    reply: str
    served_by: ServedBy
    verdicts: tuple[Verdict, ...]


def worth_logging(review: Review) -> bool:
    """Refusals, rejections and fixes are logged; a clean pass is not."""
    return review.status == "refused" or any(v.outcome != "pass" for v in review.verdicts)


class AuditLog:
    """Appends audit entries to a JSONL file; thread-safe; never raises on I/O errors."""

    def __init__(self, path: Path | str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.max_bytes = max_bytes
        self.written = 0
        self.errors = 0
        self._lock = threading.Lock()

    def record(self, review: Review, *, text: str, at: datetime, served_by: ServedBy = "device",
               turn_id: str | None = None) -> bool:
        """Write one entry if the review refused, rejected or fixed anything; True if written."""
        if not worth_logging(review):
            return False
        entry = AuditEntry(
            at=at, turn_id=turn_id, text=sanitize_untrusted(text, MAX_TEXT_CHARS)[0],
            status=review.status, reply=review.reply, served_by=served_by,
            verdicts=tuple(v for v in review.verdicts if v.outcome != "pass"),
        )
        return self.write(entry)

    def write(self, entry: AuditEntry) -> bool:
        line = entry.model_dump_json() + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._rotate_if_full()
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as fh:
                    fh.write(line)
            except OSError as e:
                self.errors += 1
                if self.errors == 1:
                    log.warning("audit log %s not writable (%s); counting further errors",
                                self.path, e)
                return False
            self.written += 1
            return True

    def _rotate_if_full(self) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size >= self.max_bytes:
            self.path.replace(self.path.with_name(self.path.name + ".1"))


def read_entries(path: Path | str) -> Iterator[AuditEntry | None]:
    """The entries of an audit file in order; None for a line that does not parse."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                yield AuditEntry.model_validate_json(line)
            except ValidationError:
                yield None
