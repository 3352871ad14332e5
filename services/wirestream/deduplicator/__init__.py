"""The deduplicator service."""
