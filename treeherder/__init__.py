"""treeherder: a fast, self-hostable CI results service compatible with Mozilla Treeherder's REST API."""

__version__ = "0.1.0"
