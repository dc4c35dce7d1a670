"""Who may write: Hawk credentials, request verification, per-credential throttling."""
