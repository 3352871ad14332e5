"""The chain's thread: calls run in order in one thread other than the loop's, their errors
reach the awaiting task, and a cancelled wait leaves the thread serving."""

from __future__ import annotations

import asyncio
import threading

import pytest

from wirestream.core.runtime.worker import ChainWorker


def test_calls_run_in_order_in_one_named_thread() -> None:
    seen: list[tuple[int, str]] = []

    def note(n: int) -> None:
        seen.append((n, threading.current_thread().name))

    async def main() -> None:
        worker = ChainWorker("pipeline-chain")
        for n in range(5):
            await worker.run(note, n)
        worker.shutdown()

    asyncio.run(main())
    assert seen == [(n, "pipeline-chain") for n in range(5)]


def test_an_error_reaches_the_caller_and_the_thread_goes_on() -> None:
    done: list[str] = []

    def fail() -> None:
        raise ValueError("bad page")

    async def main() -> None:
        worker = ChainWorker("chain")
        with pytest.raises(ValueError, match="bad page"):
            await worker.run(fail)
        await worker.run(done.append, "next")
        worker.shutdown()

    asyncio.run(main())
    assert done == ["next"]


def test_a_cancelled_wait_leaves_the_thread_serving() -> None:
    release = threading.Event()
    done: list[str] = []

    async def main() -> None:
        worker = ChainWorker("chain")
        waiting = asyncio.create_task(worker.run(release.wait))
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        release.set()  # the call ends after its caller stopped waiting
        await worker.run(done.append, "after")
        worker.shutdown()

    asyncio.run(main())
    assert done == ["after"]


def test_shutdown_ends_the_thread_and_is_harmless_twice() -> None:
    before = threading.active_count()

    async def main() -> None:
        worker = ChainWorker("chain")
        await worker.run(lambda: None)
        assert threading.active_count() == before + 1
        worker.shutdown()
        worker.shutdown()

    asyncio.run(main())
    assert threading.active_count() == before
