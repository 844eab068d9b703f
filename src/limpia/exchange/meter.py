"""Progress of a long import, reported from inside the reading, checking and writing loops.

The loops call `current().phase(name, total)` when a phase starts and `current().advance(n)` as
they go; whoever runs the import decides where that goes by installing a meter with `metering()`:
nothing (the default), a bar in the terminal, or a small JSON file that the web page and the API
read while a background job runs. The file is written beside the database, not in it, because the
import writes in one transaction that other connections cannot see into until it commits (and
SQLite has a single writer).

Writes are throttled (at most a few per second), so advancing row by row costs next to nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PHASES = ("reading", "checking", "writing")
INTERVAL = 0.25  # seconds between two reports


class Meter:
    """Counts rows per phase; subclasses decide how to show the count."""

    def __init__(self) -> None:
        self.phase_name = ""
        self.unit = "rows"
        self.done = 0
        self.total = 0
        self._last = 0.0

    def phase(self, name: str, total: int, unit: str = "rows") -> None:
        self.phase_name, self.unit, self.done, self.total = name, unit, 0, max(int(total), 0)
        self._report(force=True)

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._last >= INTERVAL:
            self._last = now
            self._report()

    def finish(self) -> None:
        self.done = self.total
        self._report(force=True)

    def snapshot(self) -> dict[str, Any]:
        return {
            "phase": self.phase_name,
            "unit": self.unit,
            "done": min(self.done, self.total),
            "total": self.total,
        }

    def _report(self, force: bool = False) -> None:
        pass


class FileMeter(Meter):
    """Writes the snapshot to `path` (atomically: a reader never sees half a file)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)

    def _report(self, force: bool = False) -> None:
        data = {**self.snapshot(), "at": time.time()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(data), encoding="utf-8")
        os.replace(partial, self.path)


class TerminalMeter(Meter):
    """A one-line bar on a terminal, rewritten in place: `writing  [#####.....]  51%  25,500/50,000
    rows`."""

    WIDTH = 30

    def __init__(self, stream) -> None:
        super().__init__()
        self.stream = stream
        self._shown = False

    def _report(self, force: bool = False) -> None:
        self.stream.write("\r" + bar_text(self.snapshot(), self.WIDTH))
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False


def bar_text(snapshot: dict[str, Any], width: int = 30) -> str:
    total, done = snapshot.get("total") or 0, snapshot.get("done") or 0
    share = done / total if total else 0.0
    filled = round(share * width)
    return (
        f"{snapshot.get('phase', ''):<9}[{'#' * filled}{'.' * (width - filled)}] "
        f"{share:4.0%}  {done:,}/{total:,} {snapshot.get('unit', '')}".rstrip()
    )


def read(path: Path) -> dict[str, Any] | None:
    """The last snapshot written to `path`, with `at` (a Unix time), or None."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class NullMeter(Meter):
    """Counts nothing: what the loops get when nobody follows them."""

    def phase(self, name: str, total: int, unit: str = "rows") -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


NULL = NullMeter()
_current: contextvars.ContextVar[Meter | None] = contextvars.ContextVar(
    "limpia_meter", default=None
)


def current() -> Meter:
    return _current.get() or NULL


@contextlib.contextmanager
def metering(meter: Meter) -> Iterator[Meter]:
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)
