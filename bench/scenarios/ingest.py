"""Job ingestion through the store path (the code every way in shares), against a raw executemany insert."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, SmallInteger, String, Table

from bench.databases import fresh_database
from bench.harness import Result, best_rate, by_size, progress, settled_like_a_server
from treeherder.ingest.parse import parse_job_collection, parse_push_collection
from treeherder.ingest.store import Ingestor
from treeherder.sample import DatasetSize, generate_jobs, generate_pushes

BATCH = 100


def _dataset(size: str) -> tuple[list[dict], list[dict]]:
    pushes = generate_pushes("autoland", by_size(size, 1, 6, 60), seed=7, size=DatasetSize())
    jobs = list(generate_jobs("autoland", pushes, share=by_size(size, 0.2, 1.0, 1.0), seed=7, final_push_running=False))
    return pushes, jobs


def _scratch_table() -> Table:
    """A table as wide as `job` (same column count and types), with no constraints: the raw insert baseline."""
    meta = MetaData()
    cols = [Column("id", Integer, primary_key=True), Column("guid", String(50))]
    cols += [Column(f"ref{i}", Integer) for i in range(11)]
    cols += [Column(f"txt{i}", String(125)) for i in range(4)]
    cols += [Column("rank", SmallInteger), Column("tier", SmallInteger)]
    cols += [Column(f"ts{i}", BigInteger) for i in range(3)]
    cols += [Column("modified", DateTime), Column("coalesced", String(50))]
    return Table("bench_scratch", meta, *cols)


# The baseline inserts at least this many rows per timing: a few thousand rows take tens of milliseconds, short
# enough for one scheduling hiccup on a shared machine to swing the figure several-fold.
MIN_BASELINE_ROWS = 20_000


def raw_insert_rate(db, n_rows: int) -> float:
    """Rows per second of a raw executemany into a scratch table as wide as `job`, in batches of BATCH."""
    import datetime

    n_rows = max(n_rows, MIN_BASELINE_ROWS)

    scratch = _scratch_table()
    scratch.create(db.write_engine, checkfirst=True)
    now = datetime.datetime(2026, 1, 1)
    rows = [
        {
            "guid": f"guid-{n}",
            **{f"ref{i}": i for i in range(11)},
            **{f"txt{i}": "scheduled" for i in range(4)},
            "rank": 3,
            "tier": 1,
            **{f"ts{i}": 1_700_000_000 for i in range(3)},
            "modified": now,
            "coalesced": None,
        }
        for n in range(n_rows)
    ]

    def raw_insert() -> int:
        with db.write() as conn:
            conn.execute(scratch.delete())
        for start in range(0, len(rows), BATCH):
            with db.write() as conn:
                conn.execute(scratch.insert(), rows[start : start + BATCH])
        return len(rows)

    rate = best_rate(raw_insert, repeat=5)
    scratch.drop(db.write_engine)
    return rate


def run(size: str, backend: str) -> list[Result]:
    pushes, jobs = _dataset(size)
    progress(f"ingestion on {backend}: {len(jobs)} jobs in batches of {BATCH}")
    with fresh_database(backend) as db:
        ingestor = Ingestor(db)
        ingestor.store_pushes("autoland", parse_push_collection(pushes))
        base = raw_insert_rate(db, len(jobs))
        runs = iter(range(100))

        def ingest() -> int:
            # A fresh set of guids each run, so every run inserts (not the idempotent no-op path).
            n = next(runs)
            batch_jobs = [{**j, "job": {**j["job"], "job_guid": f"{j['job']['job_guid'][:40]}/{n}"}} for j in jobs]
            for start in range(0, len(batch_jobs), BATCH):
                ingestor.store_jobs("autoland", parse_job_collection(batch_jobs[start : start + BATCH]))
            return len(batch_jobs)

        with settled_like_a_server():
            value = best_rate(ingest)
    return [
        Result(
            scenario=f"job ingestion, store path (batches of {BATCH})",
            database=backend,
            value=value,
            unit="jobs/s",
            baseline_value=base,
            target_ratio=0.20,
            notes="baseline: raw executemany of rows of the same width into a scratch table",
        )
    ]
