"""thclient: the Python client for Treeherder's REST API (distribution ``treeherder-client``).

Everything public is importable from the package itself, as with upstream's treeherder-client::

    from thclient import TreeherderClient, TreeherderJobCollection, PerfherderClient
"""

from ._version import __version__
from .client import *  # noqa: F403 - upstream's package re-exports both modules wholesale
from .client import __all__ as _client_all
from .perfherder import *  # noqa: F403
from .perfherder import __all__ as _perfherder_all

__all__ = ["__version__", *_client_all, *_perfherder_all]
