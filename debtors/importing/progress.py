"""Telling an import's progress: to a progress bar as the rows are read and, while a
PostgreSQL import's transaction is open, from a thread (and a connection) of its own.
"""

import logging
import threading

logger = logging.getLogger(__name__)


class _ProgressRelay:
    """Calls `progress` from a thread of its own, hence on a database connection of its own,
    so that each update commits at once; the latest update wins if the thread is behind."""

    def __init__(self, progress):
        self.progress = progress
        self.latest = None
        self.closing = False
        self.error: BaseException | None = None
        self.ready = threading.Condition()
        self.thread = threading.Thread(target=self._run, name="import-progress", daemon=True)
        self.thread.start()

    def __call__(self, done, total) -> None:
        with self.ready:
            self.latest = (done, total)
            self.ready.notify()

    def close(self) -> None:
        with self.ready:
            self.closing = True
            self.ready.notify()
        self.thread.join()

    def _run(self) -> None:
        from django.db import connection as own_connection

        try:
            while True:
                with self.ready:
                    while self.latest is None and not self.closing:
                        self.ready.wait()
                    latest, self.latest = self.latest, None
                    closing = self.closing
                if latest is not None:
                    try:
                        self.progress(*latest)
                    except Exception:  # a progress bar must never stop an import
                        logger.exception("could not record the import's progress")
                if closing and latest is None:
                    return
        finally:
            own_connection.close()


def _progress_saving(progress, result, parser) -> None:
    # Reading is over: the count is now exact (the total was an estimate), and the page
    # can say that the rows are being saved.
    done = getattr(parser, "rows_read", 0)
    if progress is not None:
        progress(done, done or None)
