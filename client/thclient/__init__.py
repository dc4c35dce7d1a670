"""thclient: the Python client for Treeherder's REST API."""
