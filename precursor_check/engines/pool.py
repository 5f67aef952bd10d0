"""The worker pool of the batch engine (engines/batch.py): CPython's, with two fixes. Imported when
the first worker starts (a batch answered from the store of known chemicals starts none)."""

from __future__ import annotations

import multiprocessing.pool
import time


class Pool(multiprocessing.pool.Pool):
    """A Pool whose worker-handler thread wakes when a worker exits or the pool changes.

    CPython's also wakes whenever a result is waiting in the result pipe, and spins until the
    result-handler thread has read it: about a third of this process's CPU in a batch run
    (perf, 71k SMILES, 2 workers), taken from the cores the workers screen on. Worker exits
    still wake it (their sentinels are waited on as before); precheck sets no maxtasksperchild.
    """

    def _get_sentinels(self):
        return [self._change_notifier._reader]

    @staticmethod
    def _help_stuff_finish(inqueue, task_handler, size):
        """Drain the task pipe on terminate() without waiting forever for its read lock: CPython's
        waits with no limit, and a worker killed while reading (SIGTERM to the whole process group,
        as `timeout` and CI runners send) holds that lock for good, so terminate() hung."""
        inqueue._rlock.acquire(timeout=1.0)
        while task_handler.is_alive() and inqueue._reader.poll():
            inqueue._reader.recv()
            time.sleep(0)
