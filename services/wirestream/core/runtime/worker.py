"""The thread the chain runs in (exactly-once): the event loop hands it one slice of records
at a time and awaits the slice's end."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any

# The loop to answer on, the future it awaits, and the call.
_Job = tuple[asyncio.AbstractEventLoop, asyncio.Future[None], Callable[..., None], tuple[Any, ...]]


class ChainWorker:
    """One thread running the calls handed to it, in order, one at a time. Each call ends by
    settling the caller's asyncio future directly: `run_in_executor` costs about twice the CPU
    per hand-off (a concurrent future with its condition, chained to an asyncio future), and
    the chain has a hand-off every record or two under a backlog (a page takes several ms)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None  # started by the first call

    async def run(self, call: Callable[..., None], *args: Any) -> None:
        """`call(*args)` in the thread; raises what it raised."""
        if self._thread is None:
            # A daemon: a service that failed before `shutdown` must not hang the exit.
            self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
            self._thread.start()
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._jobs.put((loop, done, call, args))
        await done

    def shutdown(self) -> None:
        """Finish the call in process, then end the thread."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, done, call, args = job
            error: BaseException | None = None
            try:
                call(*args)
            except BaseException as exc:  # the caller's to handle, as with run_in_executor
                error = exc
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody awaits it
                loop.call_soon_threadsafe(_settle, done, error)


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.cancelled():  # the awaiting task was cancelled meanwhile
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
