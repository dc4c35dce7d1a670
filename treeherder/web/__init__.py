"""The web UI (jobs view, job details, log viewer, performance graphs and alerts) and the log-lines endpoint."""
