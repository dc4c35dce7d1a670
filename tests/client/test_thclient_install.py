"""``pip install ./client`` into a clean virtual environment pulls in only requests, mohawk and their dependencies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"

# Runs inside the new environment: which distributions are installed, and which ones the client needs (the closure
# of its requirements, evaluating markers the way pip did, with no extras).
INSPECT_ENVIRONMENT = r"""
import json
from importlib import metadata
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name

def requirements(dist_name):
    found = []
    for text in metadata.requires(dist_name) or []:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            found.append(canonicalize_name(requirement.name))
    return found

direct = requirements("treeherder-client")
needed, todo = set(), list(direct)
while todo:
    name = todo.pop()
    if name not in needed:
        needed.add(name)
        todo.extend(requirements(name))
installed = {canonicalize_name(dist.metadata["Name"]) for dist in metadata.distributions()}
print(json.dumps({"direct": sorted(direct), "needed": sorted(needed), "installed": sorted(installed)}))
"""

# What every fresh virtual environment holds before anything is installed.
BOOTSTRAP_DISTRIBUTIONS = {"pip", "setuptools", "wheel"}


@pytest.mark.slow
def test_clean_install_pulls_only_requests_and_mohawk(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    # Build from a copy: setuptools writes build/ and egg-info/ next to the sources it builds.
    source = shutil.copytree(CLIENT_DIR, tmp_path / "client",
                             ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        check=True, env=environment, capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )

    report = json.loads(
        # Run outside the repository, whose egg-info directories would otherwise show up as installed.
        subprocess.run([python, "-c", INSPECT_ENVIRONMENT], check=True, env=environment, capture_output=True,
                       text=True, cwd=tmp_path).stdout
    )
    assert report["direct"] == ["mohawk", "requests"]
    unexpected = set(report["installed"]) - set(report["needed"]) - BOOTSTRAP_DISTRIBUTIONS - {"treeherder-client"}
    assert not unexpected, f"installed beyond requests/mohawk and their dependencies: {sorted(unexpected)}"
    assert "treeherder-client" in report["installed"]

    help_run = subprocess.run([bin_dir / "thclient", "--help"], env=environment, capture_output=True, text=True,
                              cwd=tmp_path)
    assert help_run.returncode == 0, help_run.stderr
    for command in ("pushes", "jobs", "perf-data"):
        assert command in help_run.stdout
    version_run = subprocess.run([bin_dir / "thclient", "--version"], env=environment, capture_output=True, text=True)
    import_run = subprocess.run([python, "-c", "import thclient; print(thclient.__version__)"], env=environment,
                                capture_output=True, text=True, cwd=tmp_path)
    assert version_run.stdout.split() == ["thclient", import_run.stdout.strip()]
    # The client must never need the server package.
    server_check = subprocess.run([python, "-c", "import treeherder"], env=environment, capture_output=True,
                                  cwd=tmp_path)
    assert server_check.returncode != 0
