"""Reports the reliability figures (see figures.py) once the session ends."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.reliability.figures import FIGURES


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, value in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {value}")
    output = os.environ.get("TEST_OUTPUT_DIR")
    if output:
        Path(output).mkdir(parents=True, exist_ok=True)
        (Path(output) / "reliability.json").write_text(json.dumps(dict(sorted(FIGURES.items())), indent=2) + "\n")
