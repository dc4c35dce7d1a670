"""Log parsing: error lines, PERFHERDER_DATA, structured error summaries, safe fetching.

The modules here are pure (no database): they turn log bytes into plain data that the
ingestion/storage layers persist.
"""
