"""Stages chained in one process: every published item of one stage feeds the next.

Used by `wirestream process` (no broker) and by `wirestream serve pipeline` (all stages
behind one Kafka consumer). Outcomes keep input order, so output is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wirestream.core.records import DeadLetter, Emit, Origin, Outcome
from wirestream.core.stage import Stage


class Chain:
    """A sequence of stages applied depth-first to each record."""

    def __init__(self, stages: Sequence[Stage], *, held_back_through: bool = False) -> None:
        """`held_back_through`: items a stage holds back (duplicates) still pass the later
        stages and stay held back, so `process --all` shows a duplicate enriched like the
        story it duplicates; otherwise they stop where they were held back (no work spent)."""
        if not stages:
            raise ValueError("a chain needs at least one stage")
        self.stages = list(stages)
        self.name = "+".join(stage.name for stage in self.stages)
        self.held_back_through = held_back_through

    def process(self, record: Any, origin: Origin) -> list[Outcome]:
        """Final outcomes: items out of the last stage, items a stage held back
        (`publish=False`, e.g. duplicates), and dead letters from any stage, in order."""
        outcomes: list[Outcome] = []
        self._run(0, record, origin, outcomes)
        return outcomes

    def _run(
        self,
        depth: int,
        record: Any,
        origin: Origin,
        outcomes: list[Outcome],
        held: bool = False,
        decision: str | None = None,
    ) -> None:
        """`held` and `decision` come from earlier stages: a later stage's item stays held
        back and carries the deduplication decision made upstream."""
        last = depth == len(self.stages) - 1
        for outcome in self.stages[depth].process(record, origin):
            if isinstance(outcome, DeadLetter):
                outcomes.append(outcome)
                continue
            decided = outcome.decision or decision
            if last or not (outcome.publish or self.held_back_through):
                publish = outcome.publish and not held
                # Built directly: dataclasses.replace costs several times more per item.
                outcomes.append(Emit(outcome.key, outcome.item, publish, decided))
            else:
                held_back = held or not outcome.publish
                self._run(depth + 1, outcome.item, origin, outcomes, held_back, decided)
