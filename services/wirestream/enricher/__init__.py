"""The enricher service."""
