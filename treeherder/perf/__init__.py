"""Perfherder: performance data ingestion, regression detection and comparison."""
