"""`clients.retrying`: an admin call that met a lost broker is retried within its window; any
other error, or one that outlasts the window, is raised (pure asyncio, no broker)."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError, NodeNotReadyError, TopicAuthorizationFailedError

from wirestream.core.clients import retrying


class Flaky:
    """A call that fails with `errors` in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "described"


def test_a_node_not_ready_is_retried_until_the_call_answers():
    call = Flaky(NodeNotReadyError("node 3"), KafkaConnectionError("refused"))
    assert asyncio.run(retrying(call, window_s=5)) == "described"
    assert call.calls == 3


def test_an_error_that_is_not_retriable_is_raised_at_once():
    call = Flaky(TopicAuthorizationFailedError())
    with pytest.raises(TopicAuthorizationFailedError):
        asyncio.run(retrying(call, window_s=5))
    assert call.calls == 1


def test_retriable_errors_that_outlast_the_window_are_raised():
    call = Flaky(*(NodeNotReadyError(f"try {n}") for n in range(100)))
    with pytest.raises(NodeNotReadyError):
        asyncio.run(retrying(call, window_s=0.5))
    assert 2 <= call.calls < 10  # pauses of 0.2, 0.4, ... s: a few tries, then it gives up
