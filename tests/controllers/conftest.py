"""Fixtures for the workload controller tests (see fake_kubelet.py)."""

from __future__ import annotations

import pytest

from tests.controllers.fake_kubelet import Harness


@pytest.fixture
def env() -> Harness:
    return Harness()
