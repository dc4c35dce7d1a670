"""Perfherder: performance data ingestion, regression detection and comparison.

Pure modules (no database):

* ``signature`` - upstream-compatible signature hashes; ``artifact`` - validation of performance objects and their
  conversion into signature/datum rows.
* ``detect`` - regression detectors by name: ``ttest`` (upstream's, the default), ``edivisive`` and ``pelt``
  (change-point detection); ``alerts`` - alert records, grouping into summaries, statuses and due dates;
  ``compare`` - compare-view statistics; ``scoring``/``evaluate``/``synthetic`` - scoring detectors on labelled series.

Database-bound modules:

* ``store`` - bulk storage of performance objects from the job ingestion path (registered as a job-extras handler);
  ``ingest`` - Perfherder JSON artifacts and log-derived data; ``generate`` - alert generation per signature and the
  pending sweep; ``triage`` - sheriffing writes (manual summaries/alerts, status changes).
"""
