"""SQL_TIME_LIMIT_MS: read statements running past the limit are cancelled and answered with a clear 503."""

from __future__ import annotations

import time

import orjson
import pytest
from sqlalchemy.exc import OperationalError

from treeherder.api.errors import database_failure
from treeherder.db.engine import Database

SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) SELECT count(*) FROM c",
    "postgresql": "SELECT count(*) FROM generate_series(1, {n})",
}


def test_reads_past_the_limit_are_cancelled_writes_are_not(database):
    limited = Database(database.url, read_time_limit_ms=100)
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError) as caught, limited.read() as conn:
            conn.exec_driver_sql(SLOW[database.dialect].format(n=10**10)).all()
        assert time.monotonic() - started < 5
        answer = database_failure(caught.value).response()
        assert answer.status_code == 503
        assert "SQL_TIME_LIMIT_MS" in orjson.loads(answer.body)["detail"]

        with limited.read() as conn:  # the connection is usable again, and quick reads pass
            assert conn.exec_driver_sql(SLOW[database.dialect].format(n=1000)).scalar() == 1000
        started = time.monotonic()
        with limited.write() as conn:  # a write transaction may take longer
            assert conn.exec_driver_sql(SLOW[database.dialect].format(n=3 * 10**6)).scalar() == 3 * 10**6
        assert time.monotonic() - started > 0.1, "the slow statement should outlast the read limit"
    finally:
        limited.dispose()
