"""Supervised children: a dead one is started again, with back-off and a limit.

Like Kubernetes' CrashLoopBackOff: the first restart waits ``backoff_initial``, each
further one twice as long (up to ``backoff_max``); a child that stayed up for
``stable_after`` seconds starts counting afresh. After ``limit`` restarts in a row that
did not stay up, the supervisor gives up (and ``synergia-dev run`` stops everything),
since something is wrong that restarting does not fix.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Child(Protocol):
    """What the supervisor needs of a server or service process."""

    name: str

    def start(self) -> None:
        """Start the process (for a server: until it accepts connections)."""

    def exit_code(self) -> int | None:
        """``None`` while it runs (or was never started); its exit code once it died."""

    @property
    def pid(self) -> int | None: ...

    def stop(self) -> None: ...


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


@dataclass(frozen=True)
class RestartPolicy:
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    limit: int = 5
    stable_after: float = 60.0

    @classmethod
    def from_env(cls) -> RestartPolicy:
        """``SYNERGIA_RESTART_*`` settings (docs/configuration.md)."""
        return cls(
            backoff_initial=_env_float("SYNERGIA_RESTART_BACKOFF_INITIAL_SECONDS", 1.0),
            backoff_max=_env_float("SYNERGIA_RESTART_BACKOFF_MAX_SECONDS", 30.0),
            limit=int(_env_float("SYNERGIA_RESTART_LIMIT", 5)),
            stable_after=_env_float("SYNERGIA_RESTART_STABLE_SECONDS", 60.0),
        )

    def backoff(self, restarts: int) -> float:
        """The wait before restart number ``restarts`` (1-based) in a row."""
        return float(min(self.backoff_initial * 2 ** (restarts - 1), self.backoff_max))


class GaveUp(RuntimeError):
    """A child kept dying: restarting it does not help."""


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"{code} ({signal.Signals(-code).name})"
        except ValueError:
            return str(code)
    return str(code)


@dataclass
class _Watched:
    child: Child
    started_at: float = 0.0
    restarts: int = 0  # in a row, without staying up for stable_after
    restart_at: float | None = None  # when a dead child is due to start again
    exit_code: int | None = None
    after_restart: Callable[[], None] | None = None


@dataclass
class Supervisor:
    """Starts children in order, restarts the ones that die, stops them in reverse."""

    policy: RestartPolicy = field(default_factory=RestartPolicy)
    say: Callable[[str], None] = print
    _children: list[_Watched] = field(default_factory=list)

    def add(
        self,
        child: Child,
        *,
        start: bool = True,
        after_restart: Callable[[], None] | None = None,
    ) -> None:
        """Watch ``child`` (starting it first unless it runs already). ``after_restart``
        runs once it is started again (the broker's topics, say); if it fails, so did
        the restart."""
        if start:
            child.start()
        self._children.append(
            _Watched(child, started_at=time.monotonic(), after_restart=after_restart)
        )

    @property
    def children(self) -> list[Child]:
        return [w.child for w in self._children]

    def watch(self) -> None:
        """One round: notice dead children, restart those whose back-off is over.

        Raises :class:`GaveUp` once a child has used up its restarts.
        """
        now = time.monotonic()
        for watched in self._children:
            child = watched.child
            if watched.restart_at is None:
                code = child.exit_code()
                if code is None:
                    if watched.restarts and now - watched.started_at >= self.policy.stable_after:
                        watched.restarts = 0
                    continue
                watched.exit_code = code
                self._schedule(watched, now, f"{child.name} exited with {describe_exit(code)}")
            elif now >= watched.restart_at:
                self._restart(watched)

    def _schedule(self, watched: _Watched, now: float, why: str) -> None:
        if watched.restarts >= self.policy.limit:
            raise GaveUp(
                f"{why}; it was restarted {watched.restarts} times in a row without "
                f"staying up for {self.policy.stable_after:.0f}s: giving up"
            )
        watched.restarts += 1
        delay = self.policy.backoff(watched.restarts)
        watched.restart_at = now + delay
        self.say(
            f"{why}; restarting it in {delay:.0f}s "
            f"(restart {watched.restarts} of at most {self.policy.limit} in a row)"
        )

    def _restart(self, watched: _Watched) -> None:
        child = watched.child
        child.stop()  # reaps what is left of it; a no-op for a process already gone
        try:
            child.start()
            if watched.after_restart is not None:
                watched.after_restart()
        except Exception as exc:
            self._schedule(watched, time.monotonic(), f"{child.name} did not start again: {exc}")
            return
        watched.restart_at = None
        watched.started_at = time.monotonic()
        self.say(f"{child.name} restarted (pid {child.pid})")

    def stop(self, names: set[str] | None = None) -> None:
        """Stop children in reverse order of start (only ``names``, when given)."""
        for watched in reversed(self._children):
            if names is None or watched.child.name in names:
                watched.child.stop()
