"""The local bugs cache: importing Bugzilla bug lists and searching bug summaries for bug suggestions."""
