"""Log parsing (reference LOGS.md): error lines, PERFHERDER_DATA, structured error summaries.

* :mod:`~treeherder.logs.errors` - upstream's error-line rules and the byte prefilter that spares most lines.
* :mod:`~treeherder.logs.parser` - one streaming pass over a text log: error lines + PERFHERDER_DATA objects.
* :mod:`~treeherder.logs.errorsummary` - ``*_errorsummary.log`` (JSON lines): failure lines and group results.
* :mod:`~treeherder.logs.bugsuggest` - search terms and crash signatures for bug suggestions.
* :mod:`~treeherder.logs.fetch` - safe download: http(s) only, public addresses only, size/time limits, retries.
* :mod:`~treeherder.logs.remote` - fetch + parse with the parse status to store (parsed/failed/skipped-size).
* :mod:`~treeherder.logs.service` - parse a stored job log and store the results (text log errors, failure
  lines, group results), then the new-failure and :mod:`~treeherder.logs.intermittents` classifications.
* :mod:`~treeherder.logs.cli` - ``treeherder parse-log``.
"""
