"""Pulse (AMQP) ingestion: job, Taskcluster task and push messages.

* :mod:`.jobs` validates ``pulse-job.yml`` messages and turns them into job datums.
* :mod:`.taskcluster` rebuilds Taskcluster queue events as job messages.
* :mod:`.pushes` turns hg.mozilla.org and GitHub push events into pushes.
* :mod:`.errors` holds the exception for messages that can never be processed.
"""

from .errors import InvalidJobMessage, PulseMessageError, UnsupportedExchangeError
from .jobs import PulseJob, job_message_to_datum
from .pushes import PushRepository, RepositoryPush, push_message_to_pushes
from .taskcluster import task_message_to_jobs

__all__ = [
    "InvalidJobMessage",
    "PulseJob",
    "PulseMessageError",
    "PushRepository",
    "RepositoryPush",
    "UnsupportedExchangeError",
    "job_message_to_datum",
    "push_message_to_pushes",
    "task_message_to_jobs",
]
