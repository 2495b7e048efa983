"""The garbage collector paused for bulk operations: overlapping pauses resume it once,
when the last ends, and never turn on a collector that was off."""

from __future__ import annotations

import gc

import pytest
from synergia_shared.collector import collector_paused


def test_overlapping_pauses_resume_the_collector_when_the_last_ends() -> None:
    assert gc.isenabled()
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    assert not gc.isenabled()
    first.__exit__(None, None, None)
    assert not gc.isenabled(), "the other operation still runs"
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_failing_operation_resumes_it_and_an_off_collector_stays_off() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("refused")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
