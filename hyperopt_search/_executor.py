"""Submit single fits to joblib's active backend and get futures back.

The search loop submits each fold's fit and gets a future back. With
``schedule="rounds"``, a :class:`ParallelExecutor` runs the fits of a round in
one ``joblib.Parallel`` call when the round is complete (:meth:`~TaskExecutor.flush`),
on any joblib backend (Spark and Ray included). The pipelined schedules keep
a window of candidates in flight and propose a new one when one finishes,
which ``Parallel`` (a call returns when its whole batch is done) cannot do:
for them this module opens the backend that ``Parallel(n_jobs=...)`` would
use in the same place (``n_jobs``, and any ``joblib.parallel_config``), and
exposes it as futures:

- sequential (one job): each fit runs when it is submitted;
- ``"loky"`` (joblib's default): joblib's own reusable process executor, with
  its automatic memory mapping of large arrays;
- ``"threading"``, ``"multiprocessing"`` and other pool-based backends (Ray's
  ``"ray"``): their pool's ``apply_async``;
- ``"dask"``: the backend's ``distributed.Client``, with ``X`` and ``y``
  scattered to the cluster once per search (see :meth:`TaskExecutor.share`).

Other backends raise a ``ValueError`` naming the backend.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

from joblib import Parallel, delayed, effective_n_jobs

__all__ = ["ParallelExecutor", "TaskExecutor", "open_executor", "pipeline_unsupported"]


class TaskExecutor:
    """Run functions somewhere, returning :class:`concurrent.futures.Future` objects."""

    def __init__(self, n_workers: int = 1):
        self.n_workers = n_workers

    def submit(self, fn: Callable, *args: Any) -> Future:
        """Run ``fn(*args)``; the default runs it at once, in this process."""
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt and friends stop the search at once
            future.set_exception(exc)
        return future

    def share(self, obj: Any) -> Any:
        """What to pass to :meth:`submit` instead of ``obj``, sent once per search."""
        return obj

    def flush(self) -> None:
        """Start what was submitted but waits for more (see :class:`ParallelExecutor`)."""

    def abort(self) -> None:
        """Stop what runs and drop what waits (after an error or an interrupt)."""


class ParallelExecutor(TaskExecutor):
    """Fits queued until :meth:`flush` runs them in one ``joblib.Parallel`` call.

    ``schedule="rounds"`` submits a whole round, then flushes: any joblib
    backend runs it, with ``n_jobs`` and ``pre_dispatch`` as in GridSearchCV.
    """

    def __init__(self, parallel: Parallel, n_workers: int):
        super().__init__(n_workers)
        self._parallel = parallel
        self._queued: list[tuple[Future, Callable, tuple]] = []

    def submit(self, fn, *args):
        future: Future = Future()
        self._queued.append((future, fn, args))
        return future

    def flush(self):
        queued, self._queued = self._queued, []
        if not queued:
            return
        results = self._parallel(delayed(fn)(*args) for _, fn, args in queued)
        for (future, _, _), result in zip(queued, results, strict=True):
            future.set_result(result)

    def abort(self):
        self._queued.clear()


class _LokyExecutor(TaskExecutor):
    def __init__(self, workers, n_workers: int, context_id: str):
        super().__init__(n_workers)
        self._workers = workers
        self._context_id = context_id
        self._futures: weakref.WeakSet = weakref.WeakSet()

    def submit(self, fn, *args):
        # Large arrays are memory-mapped into the temporary folder of the
        # current context of the reusable executor, shared by every Parallel
        # object: make it ours, as Parallel does before pickling its tasks
        # (the last one may have belonged to a finished, cleaned-up call).
        manager = getattr(self._workers, "_temp_folder_manager", None)
        if manager is not None:
            manager.set_current_context(self._context_id)
        future = self._workers.submit(fn, *args)
        self._futures.add(future)
        return future

    def abort(self):
        # Drop the queued fits; those running (one per worker) end on their
        # own. Killing the workers, as Parallel does, races with loky's
        # manager thread here (a KeyError traceback, or a hang at exit with
        # joblib 1.3).
        for future in list(self._futures):
            future.cancel()


class _PoolExecutor(TaskExecutor):
    """A backend whose ``_pool`` has multiprocessing's ``apply_async``."""

    def __init__(self, pool, n_workers: int):
        super().__init__(n_workers)
        self._pool = pool

    def submit(self, fn, *args):
        future: Future = Future()
        future.set_running_or_notify_cancel()
        self._pool.apply_async(
            fn, args, callback=future.set_result, error_callback=future.set_exception
        )
        return future


class _DaskExecutor(TaskExecutor):
    def __init__(self, client):
        super().__init__(max(1, sum(client.nthreads().values())))
        self._client = client
        self._executor = client.get_executor(pure=False)

    def submit(self, fn, *args):
        return self._executor.submit(fn, *args)

    def share(self, obj):
        if obj is None:
            return None
        (future,) = self._client.scatter([obj], hash=False)
        return future

    def abort(self):
        self._executor.shutdown(wait=False)


def _pool_of(backend) -> Any:
    """The pool of a pool-based backend (created lazily from joblib 1.4 on), or None."""
    get_pool = getattr(backend, "_get_pool", None)
    pool = get_pool() if get_pool is not None else getattr(backend, "_pool", None)
    return pool if hasattr(pool, "apply_async") else None


#: joblib backends whose single fits a pipelined schedule can submit.
_PIPELINED_BACKENDS = (
    "SequentialBackend",
    "LokyBackend",
    "ThreadingBackend",
    "MultiprocessingBackend",
    "DaskDistributedBackend",
)


def pipeline_unsupported(n_jobs: int | None) -> str | None:
    """Why the current joblib backend cannot run a pipelined schedule (None if it can).

    Only joblib's own backends and Dask's are known to run single fits as
    futures; others (Spark, Ray, custom ones) get ``schedule="rounds"``.
    """
    parallel = Parallel(n_jobs=n_jobs)
    name = type(parallel._backend).__name__
    if name in _PIPELINED_BACKENDS or parallel._effective_n_jobs() == 1:
        return None
    return f"joblib's {name} runs whole Parallel calls only"


@contextlib.contextmanager
def open_executor(
    n_jobs: int | None, *, pipelined: bool = True, pre_dispatch="2*n_jobs"
) -> Iterator[TaskExecutor]:
    """The executor of the backend ``Parallel(n_jobs=n_jobs)`` would use here.

    ``pipelined=False``: a :class:`ParallelExecutor`, for rounds.
    """
    parallel = Parallel(n_jobs=n_jobs, pre_dispatch=pre_dispatch)
    with parallel:  # configures the backend, as for a call, and cleans it up
        backend = parallel._backend
        name = type(backend).__name__
        n_workers = parallel._effective_n_jobs()
        if not pipelined:
            # joblib's public count (1.3's Parallel(n_jobs=None) does not read
            # parallel_config's n_jobs; later versions agree with it).
            executor = ParallelExecutor(parallel, effective_n_jobs(n_jobs))
        elif name == "SequentialBackend" or (n_workers == 1 and name != "DaskDistributedBackend"):
            executor = TaskExecutor()
        elif name == "LokyBackend":
            executor = _LokyExecutor(backend._workers, n_workers, parallel._id)
        elif name == "DaskDistributedBackend":
            executor = _DaskExecutor(backend.client)
        elif (pool := _pool_of(backend)) is not None:
            executor = _PoolExecutor(pool, n_workers)
        else:
            raise ValueError(
                f"schedule='ordered' and schedule='async' cannot run on joblib's "
                f"{name}: they need the loky (default), threading, multiprocessing "
                f"or dask backend. Use schedule='rounds' with this backend."
            )
        try:
            yield executor
        except BaseException:
            executor.abort()
            raise
