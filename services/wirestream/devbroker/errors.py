"""Why the local broker could not be resolved, started or stopped."""

from __future__ import annotations


class LocalKafkaError(RuntimeError):
    """The local broker could not be resolved, started or stopped; the message says why."""


class PortTaken(LocalKafkaError):
    """The broker could not bind its listener port."""
