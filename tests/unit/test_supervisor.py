"""The supervisor's restart policy: back-off, a limit, a fresh count once a child stays up."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from synergia_devstack.postgres import clear_stale_locks
from synergia_devstack.supervisor import GaveUp, RestartPolicy, Supervisor, describe_exit


class FakeChild:
    def __init__(self, name: str, *, fails_to_start: int = 0) -> None:
        self.name = name
        self.starts = 0
        self.code: int | None = None
        self.fails_to_start = fails_to_start

    @property
    def pid(self) -> int | None:
        return 1000 + self.starts

    def start(self) -> None:
        self.starts += 1
        if self.fails_to_start:
            self.fails_to_start -= 1
            raise RuntimeError("port taken")
        self.code = None

    def exit_code(self) -> int | None:
        return self.code

    def stop(self) -> None:
        pass


def _run_until(supervisor: Supervisor, done: Callable[[], bool], limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while not done() and time.monotonic() < deadline:
        supervisor.watch()
        time.sleep(0.005)


def test_backoff_doubles_up_to_its_maximum() -> None:
    policy = RestartPolicy(backoff_initial=1.0, backoff_max=30.0)
    assert [policy.backoff(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_dead_child_is_restarted_after_its_backoff_and_the_supervisor_says_so() -> None:
    said: list[str] = []
    supervisor = Supervisor(RestartPolicy(backoff_initial=0.05, limit=3), say=said.append)
    child = FakeChild("matching")
    supervisor.add(child)
    child.code = -9
    supervisor.watch()
    assert child.starts == 1, "not before its back-off"
    assert said == [
        "matching exited with -9 (SIGKILL); restarting it in 0s (restart 1 of at most 3 in a row)"
    ]
    _run_until(supervisor, lambda: child.starts == 2)
    assert child.starts == 2
    assert said[-1] == "matching restarted (pid 1002)"


def test_a_child_that_keeps_dying_makes_the_supervisor_give_up_after_the_limit() -> None:
    supervisor = Supervisor(RestartPolicy(backoff_initial=0.01, limit=2), say=lambda _: None)
    child = FakeChild("funding")
    supervisor.add(child)
    for _ in range(2):
        child.code = 1
        _run_until(supervisor, lambda: child.code is None)
    assert child.starts == 3
    child.code = 1
    with pytest.raises(GaveUp, match="funding exited with 1; it was restarted 2 times"):
        supervisor.watch()


def test_a_child_that_does_not_start_again_is_retried_with_the_same_policy() -> None:
    said: list[str] = []
    supervisor = Supervisor(RestartPolicy(backoff_initial=0.01, limit=5), say=said.append)
    child = FakeChild("postgresql")
    supervisor.add(child)
    child.fails_to_start = 2
    child.code = -9
    _run_until(supervisor, lambda: child.code is None and child.starts == 4)
    assert child.starts == 4
    assert sum("did not start again: port taken" in line for line in said) == 2
    assert said[-1] == "postgresql restarted (pid 1004)"


def test_a_child_that_stayed_up_long_enough_starts_counting_afresh() -> None:
    supervisor = Supervisor(
        RestartPolicy(backoff_initial=0.01, limit=1, stable_after=0.05), say=lambda _: None
    )
    child = FakeChild("registry")
    supervisor.add(child)
    for _ in range(3):  # over the limit of 1 in a row, but each time it stayed up
        child.code = -15
        _run_until(supervisor, lambda: child.code is None)
        time.sleep(0.06)
        supervisor.watch()
    assert child.starts == 4


def test_exit_codes_name_their_signal() -> None:
    assert describe_exit(-9) == "-9 (SIGKILL)"
    assert describe_exit(3) == "3"


def test_a_stale_postmaster_pid_of_an_unrelated_process_is_removed(tmp_path: Path) -> None:
    # The killed server's pid now belongs to another process (pids are reused): left
    # alone, PostgreSQL would refuse to start ("is another postmaster running?").
    data = tmp_path / "pg"
    data.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (data / "postmaster.pid").write_text(f"{other.pid}\n{data}\n")
        (data / ".s.PGSQL.5432.lock").write_text(f"{other.pid}\n")
        clear_stale_locks(data)
        assert not (data / "postmaster.pid").exists()
        assert not (data / ".s.PGSQL.5432.lock").exists()
    finally:
        other.kill()
        other.wait()


def test_the_lock_of_a_live_server_in_the_directory_is_kept(tmp_path: Path) -> None:
    data = tmp_path / "pg"
    data.mkdir()
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], cwd=data)
    try:
        (data / "postmaster.pid").write_text(f"{server.pid}\n{data}\n")
        clear_stale_locks(data, wait_for_orphans=0.2)
        assert (data / "postmaster.pid").exists()
    finally:
        server.kill()
        server.wait()


def test_the_lock_of_a_dead_server_is_removed_once_its_orphans_are_gone(tmp_path: Path) -> None:
    data = tmp_path / "pg"
    data.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    # A backend of the killed server, still exiting in the data directory.
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"], cwd=data)
    try:
        (data / "postmaster.pid").write_text(f"{dead.pid}\n{data}\n")
        started = time.monotonic()
        clear_stale_locks(data)
        assert orphan.poll() is not None or time.monotonic() - started >= 0.4
        assert not (data / "postmaster.pid").exists()
    finally:
        orphan.kill()
        orphan.wait()
