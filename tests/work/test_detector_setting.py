"""PERF_DETECTORS picks the regression detector per framework for background alert generation."""

from __future__ import annotations

import dataclasses

import pytest

from treeherder.config import ConfigError
from treeherder.work.handlers import WorkContext


def test_detector_choices_reach_the_alert_generator(settings, database):
    ctx = WorkContext(dataclasses.replace(settings, perf_detectors="talos=edivisive, awsy=pelt"), database)
    assert ctx.alert_generator.keywords["detector_choices"] == {"talos": "edivisive", "awsy": "pelt"}


def test_a_bad_choice_is_a_clear_configuration_error(settings, database):
    with pytest.raises(ConfigError, match="PERF_DETECTORS: 'talos=magic': expected FRAMEWORK=DETECTOR"):
        WorkContext(dataclasses.replace(settings, perf_detectors="talos=magic"), database)
