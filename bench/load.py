"""HTTP load with wrk (from Debian's packages): requests/second and latency percentiles."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.server import USER_AGENT

_SCRIPT = """
local paths = {%s}
local i = 0
wrk.headers["User-Agent"] = "%s"
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


class WrkMissing(RuntimeError):
    pass


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(base_url: str, paths: list[str], *, seconds: int, connections: int, threads: int = 2) -> LoadResult:
    """Cycle through `paths` with `connections` concurrent connections for `seconds`."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise WrkMissing("wrk is not installed: `apt-get install wrk` (make bench installs it)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_SCRIPT % (", ".join(f'"{p}"' for p in paths), USER_AGENT))
    try:
        out = subprocess.run(
            [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, base_url],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        Path(script.name).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = 0
    for match in re.finditer(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*?timeout (\d+)", out):
        errors += int(match.group(1) or match.group(2) or 0)
    return LoadResult(rps, p50, p99, errors)
