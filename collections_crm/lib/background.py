"""One piece of work at a time in a background thread, while the caller prepares the next.

The import and the demo seeder both hand a chunk's COPY to PostgreSQL in a thread (the driver
lets go of the GIL while it waits for the server) and build the next chunk meanwhile: one
database core and one Python core busy at once.
"""

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Result = TypeVar("Result")


class OneInFlight(Generic[Result]):
    """submit(work) runs `work()` in a thread once the previous one is finished; wait() hands
    back the last result, or raises its error in the caller's thread.

    `connection`: a Django connection the work uses while the caller waits (the same
    transaction); it is marked as shared with the thread while work runs, and the caller must
    not use it between submit() and wait().
    """

    def __init__(self, *, name: str, connection=None):
        self.name = name
        self.connection = connection
        self.thread: threading.Thread | None = None
        self.result: Result | None = None
        self.error: BaseException | None = None

    def submit(self, work: Callable[[], Result]) -> Result | None:
        """Start `work`; returns the previous work's result (None for the first)."""
        previous = self.wait()
        if self.connection is not None:
            self.connection.inc_thread_sharing()
        self.thread = threading.Thread(target=self._run, args=(work,), name=self.name, daemon=True)
        self.thread.start()
        return previous

    def wait(self) -> Result | None:
        if self.thread is None:
            return None
        self.thread.join()
        self.thread = None
        if self.connection is not None:
            self.connection.dec_thread_sharing()
        result, self.result = self.result, None
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return result

    def _run(self, work: Callable[[], Result]) -> None:
        try:
            self.result = work()
        except BaseException as error:  # handed to the caller's thread by wait()
            self.error = error
