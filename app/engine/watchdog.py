"""A hard bound on diagram code that needs neither the GIL nor a timed wait: the kernel ends the process.

The sandbox's tracer stops Python-level loops, but one C-level operation on data the same run built
(`b == c` over a million lists, `sorted`, `hash(tuple(...))`) runs to its end while holding the GIL,
so nothing inside the process can interrupt it. Here every action that runs diagram code (start a
procedure, complete a task, fire timers: `WorkflowRun._drive`) arms the process's real-time interval
timer (`setitimer`; SIGALRM left at its default action, which terminates) for the earliest deadline
among the actions going on in the process. An action still running when it expires takes the process
with it, and gunicorn or systemd start a fresh one. (faulthandler's `dump_traceback_later` would do
the same from a C thread, but its timed wait never ends under a shifted clock such as faketime.)
Arming per action, not per script, keeps system calls off the path of each condition and script.

So that a killed action is not forgotten, it first writes a small marker: the instance (or the
registration number it starts), the action and the process; each script or condition then writes
its element into the marker, a plain memory write (the marker file is mapped). A marker file belongs
to one process, which holds an exclusive `flock` on it for its whole life; the kernel drops the lock
when the process dies, so whoever can lock a marker that still has content (`dead_markers`) knows
its action was killed. The services flag that complaint (`services.workflow.stopped_runs`).
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import mmap
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from itertools import count
from pathlib import Path

log = logging.getLogger(__name__)

ACTION_BLOCK = 2048  # bytes of the marker holding the action; the running element follows
ELEMENT_BLOCK = 1024
STATE_AT = ACTION_BLOCK + ELEMENT_BLOCK - 32  # the element's last 32 bytes: "R" and when its code began, or blank
MARKER_BYTES = ACTION_BLOCK + ELEMENT_BLOCK
SUFFIX = ".run"
_IDLE = b" " * MARKER_BYTES


class _Slot:
    """One marker file of this process, locked for the process's life and reused by its actions.

    It is mapped into memory, so writing it costs no system call: the kernel keeps what was written
    in the page cache, and in the file, after the process dies."""

    def __init__(self, directory: Path, number: int):
        name = f"{socket.gethostname()}-{os.getpid()}-{number}"
        draft = directory / f".{name}.tmp"
        self.fd = os.open(draft, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(self.fd, MARKER_BYTES)
        self.map = mmap.mmap(self.fd, MARKER_BYTES)
        self.map[:] = _IDLE
        self.path = directory / f"{name}{SUFFIX}"
        os.rename(draft, self.path)  # locked before a scanner can see it under its real name

    def write_action(self, info: dict) -> None:
        self.map[:] = _block(info, ACTION_BLOCK) + _IDLE[:ELEMENT_BLOCK]

    def write_element(self, block: bytes) -> None:
        self.map[ACTION_BLOCK:STATE_AT] = block
        self.map[STATE_AT:] = b"R%-31.6f" % time.time()

    def end_element(self) -> None:
        self.map[STATE_AT:STATE_AT + 1] = b" "

    def clear(self) -> None:
        self.map[:] = _IDLE


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def _block(value: dict, size: int) -> bytes:
    data = _ENCODER.encode(value).encode("utf-8")[:size - 1]
    return data.ljust(size, b" ")


@lru_cache(maxsize=4096)
def _element_block(element: str | None, name: str | None) -> bytes:
    return _block({"element": element, "name": name}, STATE_AT - ACTION_BLOCK)


class _Watchdog:
    def __init__(self, directory: Path, seconds: float):
        self.directory = directory
        self.seconds = seconds
        self.pid = os.getpid()
        # This process's life, told apart from an earlier one with the same pid (a container's pids restart).
        self.life = f"{socket.gethostname()}:{self.pid}:{time.time_ns()}"
        self.lock = threading.Lock()
        self.free: list[_Slot] = []
        self.numbers = count(1)
        self.deadlines: dict[int, float] = {}  # action token -> monotonic deadline
        self.armed_for: float | None = None
        self.tokens = count(1)

    def take_slot(self) -> _Slot | None:
        with self.lock:
            if self.free:
                return self.free.pop()
            number = next(self.numbers)
        try:
            return _Slot(self.directory, number)
        except OSError as exc:
            log.warning("no watchdog marker in %s (%s): a killed run could not be flagged", self.directory, exc)
            return None

    def give_back(self, slot: _Slot) -> None:
        with self.lock:
            self.free.append(slot)

    def remove_idle(self) -> None:
        """At a normal exit: the markers no action is using are removed (an unfinished one is kept)."""
        with self.lock:
            idle, self.free = self.free, []
        for slot in idle:
            if self.pid == os.getpid():
                slot.path.unlink(missing_ok=True)

    def begin(self) -> int:
        now = time.monotonic()
        with self.lock:
            token = next(self.tokens)
            deadline = now + self.seconds
            self.deadlines[token] = deadline
            if self.armed_for is None or deadline < self.armed_for:
                self._arm(deadline, now)
        return token

    def end(self, token: int) -> None:
        with self.lock:
            deadline = self.deadlines.pop(token, None)
            if not self.deadlines:
                signal.setitimer(signal.ITIMER_REAL, 0)
                self.armed_for = None
            elif deadline is not None and deadline <= self.armed_for:
                self._arm(min(self.deadlines.values()), time.monotonic())

    def _arm(self, deadline: float, now: float) -> None:
        signal.setitimer(signal.ITIMER_REAL, max(deadline - now, 0.001))
        self.armed_for = deadline


_watchdog: _Watchdog | None = None
_slot: ContextVar[_Slot | None] = ContextVar("watchdog_slot", default=None)


def install(directory: str | os.PathLike, seconds: float) -> bool:
    """Bound every later action of this process that runs diagram code to `seconds`; False when it cannot be."""
    global _watchdog
    if seconds <= 0:
        return False
    handler = signal.getsignal(signal.SIGALRM)
    if handler not in (signal.SIG_DFL, None):
        if threading.current_thread() is not threading.main_thread():
            log.warning("SIGALRM has a handler and this is not the main thread: the script watchdog is off")
            return False
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    _watchdog = _Watchdog(path, float(seconds))
    return True


def uninstall() -> None:
    global _watchdog
    if _watchdog is not None:
        with _watchdog.lock:
            signal.setitimer(signal.ITIMER_REAL, 0)
    _watchdog = None


def _after_fork() -> None:
    """A child inherits no interval timer and must not share its parent's locked markers."""
    global _watchdog
    if _watchdog is not None:
        _watchdog = _Watchdog(_watchdog.directory, _watchdog.seconds)
    _slot.set(None)


os.register_at_fork(after_in_child=_after_fork)


@atexit.register
def _at_exit() -> None:
    if _watchdog is not None:
        _watchdog.remove_idle()


def installed() -> float | None:
    """The limit in seconds when the watchdog is on in this process."""
    return _watchdog.seconds if _watchdog is not None else None


def start_action(info: dict) -> object:
    """Before an action (start, complete, fire timers) runs diagram code: write its marker and arm the
    timer for the earliest deadline among the process's actions. Returns a token for `end_action`."""
    watchdog = _watchdog
    if watchdog is None:
        return None
    slot = watchdog.take_slot()
    context_token = None
    if slot is not None:
        slot.write_action({**info, "pid": os.getpid(), "life": watchdog.life, "limit": watchdog.seconds,
                           "started": time.time()})
        context_token = _slot.set(slot)
    return watchdog, slot, context_token, watchdog.begin()


def end_action(token) -> None:
    if token is None:
        return
    watchdog, slot, context_token, run = token
    watchdog.end(run)
    if slot is not None:
        _slot.reset(context_token)
        slot.clear()
        if watchdog.pid == os.getpid():
            watchdog.give_back(slot)


def begin_run(spec) -> None:
    """Name the element whose code runs now (a task spec) in the action's marker, and when it began:
    memory writes."""
    slot = _slot.get()
    if slot is not None:
        slot.write_element(_element_block(getattr(spec, "bpmn_id", None) or getattr(spec, "name", None),
                                          getattr(spec, "bpmn_name", None)))


def end_run() -> None:
    """The element's code has finished (the marker keeps its name, for a step that stops later)."""
    slot = _slot.get()
    if slot is not None:
        slot.end_element()


@dataclass
class DeadRun:
    """The marker of a run whose process died mid-action; held locked until `discard` or `release`."""

    path: Path
    fd: int
    action: dict
    element: str | None
    name: str | None
    in_code_since: float | None = None  # when the element's code began, if it was still running

    def discard(self) -> None:
        """The run was dealt with: empty the marker (a second scanner then sees nothing) and remove it,
        unless a new process of the same pid has put its own marker under the name meanwhile."""
        try:
            os.pwrite(self.fd, _IDLE, 0)
            try:
                if os.stat(self.path).st_ino == os.fstat(self.fd).st_ino:
                    self.path.unlink(missing_ok=True)
            except FileNotFoundError:
                pass
        finally:
            os.close(self.fd)

    def release(self) -> None:
        os.close(self.fd)

    @property
    def process(self) -> str:
        """The process life the marker belonged to; for a marker that does not say, its host and pid."""
        life = self.action.get("life")
        return life if isinstance(life, str) else self.path.name.removesuffix(SUFFIX).rsplit("-", 1)[0]

    @property
    def deadline(self) -> float:
        """When the watchdog would end this action (wall clock); infinite when the marker does not say."""
        try:
            return float(self.action["started"]) + float(self.action["limit"])
        except (KeyError, TypeError, ValueError):
            return float("inf")


def stopping_runs(runs: list[DeadRun]) -> set[Path]:
    """Of the dead runs, the one per process that ended it; the process's other actions (threads of a web
    worker, a sweep's other timers) were cut off with it: nothing of them was saved, they are tried again.

    The timer goes off at the earliest deadline among the process's actions, but that action may only
    have been starved: one C-level operation holds the GIL, and no other thread runs a line meanwhile.
    An action that had been inside diagram code since at least half a limit before that deadline froze
    the process (of several, the one that entered last: the others were starved inside theirs); an
    action that entered just before is a bystander caught mid-condition while the late action was slow
    on its own (outside diagram code, the GIL is free). Without such an action, the late action is it."""
    by_process: dict[str, list[DeadRun]] = {}
    for run in runs:
        by_process.setdefault(run.process, []).append(run)
    stopping = set()
    for group in by_process.values():
        late = min(group, key=lambda r: r.deadline)
        limit = _number(late.action.get("limit"))
        frozen = [r for r in group if r.in_code_since is not None
                  and r.in_code_since <= late.deadline - limit / 2]
        stopping.add(max(frozen, key=lambda r: r.in_code_since).path if frozen else late.path)
    return stopping


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


@contextmanager
def recovery(directory: str | os.PathLike) -> Iterator[bool]:
    """One scanner of the markers at a time (a web worker starting, a sweep): a scanner that saw only some
    of a dead process's markers (another holding the rest) could not tell which one stopped it. Yields
    False when another scanner is at it (it deals with every dead marker there is)."""
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path / ".recovery.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        log.warning("cannot lock the watchdog's markers in %s (%s)", path, exc)
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _read_json(data: bytes) -> dict:
    try:
        value = json.loads(data.strip(b" \0").decode("utf-8") or "{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def dead_markers(directory: str | os.PathLike):
    """Markers whose process is gone and whose action had not finished, each locked by the caller."""
    path = Path(directory)
    try:
        names = sorted(p for p in path.iterdir() if p.name.endswith(SUFFIX))
    except FileNotFoundError:
        return
    for marker in names:
        try:
            fd = os.open(marker, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # its process is alive
            continue
        try:
            same = os.fstat(fd).st_ino == os.stat(marker).st_ino
        except FileNotFoundError:
            same = False
        data = os.pread(fd, MARKER_BYTES, 0) if same else b""
        if not data.strip(b" \0"):
            if same:
                marker.unlink(missing_ok=True)  # an idle marker of a process that ended
            os.close(fd)
            continue
        element = _read_json(data[ACTION_BLOCK:STATE_AT])
        yield DeadRun(marker, fd, _read_json(data[:ACTION_BLOCK]), element.get("element"), element.get("name"),
                      _in_code_since(data[STATE_AT:]))


def _in_code_since(state: bytes) -> float | None:
    if state[:1] != b"R":
        return None
    try:
        return float(state[1:].strip(b" \0"))
    except ValueError:
        return None
