"""`python -m bench [--size quick|large] [--scenario NAME]`: run the benchmarks, print a table, write latest.json."""

from __future__ import annotations

import argparse
import sys

from bench.databases import available_backends
from bench.harness import SIZES, format_table, write_results
from bench.scenarios import ingest, logs, perf, pulse, reads, rest

# Scenarios that use a database run once per available backend.
DATABASE_SCENARIOS = {
    "ingest": ingest.run,
    "rest": rest.run,
    "pulse": pulse.run,
    "reads": reads.run,
    "perf": perf.run,
}
PLAIN_SCENARIOS = {"logs": logs.run}


def main(argv: list[str] | None = None, results_path=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=SIZES, default="quick")
    parser.add_argument("--scenario", action="append", help="run only these scenarios (repeatable)")
    parser.add_argument("--database", action="append", choices=("sqlite", "postgresql"), help="only these (repeatable)")
    args = parser.parse_args(argv)
    wanted = set(args.scenario or list(DATABASE_SCENARIOS) + list(PLAIN_SCENARIOS))
    unknown = wanted - set(DATABASE_SCENARIOS) - set(PLAIN_SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    backends = [b for b in available_backends() if not args.database or b in args.database]
    print(f"benchmarks ({args.size}) on {', '.join(backends)}", file=sys.stderr)
    results = []
    for name, run in PLAIN_SCENARIOS.items():
        if name in wanted:
            results += run(args.size)
    for name, run in DATABASE_SCENARIOS.items():
        if name in wanted:
            for backend in backends:
                results += run(args.size, backend)
    print(format_table(results))
    path = write_results(results, args.size, results_path)
    print(f"\nwritten to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
