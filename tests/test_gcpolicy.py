"""The ASGI workers' garbage-collector policy (controlpanel.gcpolicy)."""

from __future__ import annotations

import gc

import pytest

from controlpanel import gcpolicy


@pytest.fixture
def clean_freeze():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_survivors_of_a_full_collection_are_frozen_and_handed_back_once_a_period(clean_freeze):
    now = [0.0]
    callback = gcpolicy.freeze_survivors(refresh_seconds=600, clock=lambda: now[0])
    keep = [[i] for i in range(1000)]  # tracked objects that survive
    callback("stop", {"generation": 1})
    callback("start", {"generation": 2})
    assert gc.get_freeze_count() == 0  # only the end of a full collection counts
    callback("stop", {"generation": 2})
    assert gc.get_freeze_count() >= len(keep)
    now[0] = 601.0  # a period later: everything goes back to the collector, once
    callback("stop", {"generation": 2})
    assert gc.get_freeze_count() == 0
    now[0] = 602.0
    callback("stop", {"generation": 2})
    assert gc.get_freeze_count() >= len(keep)


def test_with_the_real_collector_a_full_collection_freezes_and_later_ones_scan_only_new_objects(clean_freeze):
    callback = gcpolicy.freeze_survivors(refresh_seconds=3600)
    gc.callbacks.append(callback)
    try:
        keep = [{"n": i} for i in range(5000)]
        gc.collect()
        frozen = gc.get_freeze_count()
        assert frozen >= len(keep)
        assert len(gc.get_objects(generation=2)) < len(keep)  # what the next full collection scans
        garbage = [[i] for i in range(100)]
        garbage.append(garbage)  # a cycle, allocated after the freeze: still collected
        del garbage
        assert gc.collect() >= 100
    finally:
        gc.callbacks.remove(callback)


def test_install_adds_the_policy_once(monkeypatch):
    monkeypatch.setattr(gcpolicy, "_installed", [])
    before = list(gc.callbacks)
    try:
        gcpolicy.install()
        gcpolicy.install()
        assert len(gc.callbacks) == len(before) + 1
    finally:
        gc.callbacks[:] = before
