"""The stage contract: plain, synchronous, deterministic objects with no Kafka in them.

The runtime (Kafka) and `wirestream process` (in-process) both drive stages through this
interface, so a stage is tested once and runs the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from wirestream.core.records import Origin, Outcome


@runtime_checkable
class Stage(Protocol):
    """One step of the pipeline. Never raises: bad input becomes a `DeadLetter`."""

    name: str

    def process(self, record: Any, origin: Origin) -> list[Outcome]:
        """Turn one input (raw bytes for the normalizer, an item dict after it) into outcomes."""
        ...


@runtime_checkable
class Counted(Protocol):
    """A stage that keeps totals for the metrics layer (gazetteer misses, evictions, ...)."""

    def counts(self) -> dict[str, int]:
        """Running totals by name; the runtime exports them as stage counters."""
        ...


@runtime_checkable
class StatefulStage(Stage, Protocol):
    """A stage whose decisions depend on state kept per input partition (the deduplicator).

    The runtime restores a partition's state from its changelog on assignment, drops it on
    revocation, and after each processed batch drains the changes to write them to the
    compacted changelog topic in the same transaction as the output.
    """

    def assign(self, partition: int, changelog: Iterable[tuple[bytes, bytes | None]]) -> None:
        """Restore a partition's state from its changelog records (key, value or tombstone)."""
        ...

    def revoke(self, partition: int) -> None:
        """Forget a partition's state; another instance owns it now."""
        ...

    def drain_changes(self, partition: int) -> list[tuple[bytes, bytes | None]]:
        """Changelog records (key, value or None for a tombstone) since the last drain."""
        ...
