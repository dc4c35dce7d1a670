"""Single source of the distribution version (read by pyproject.toml and sent in the User-Agent)."""

__version__ = "5.0.0.post1"
