"""The proposal loop shared by the model-based algorithms."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable

import numpy as np
from threadpoolctl import ThreadpoolController

from ._encoding import EncodedSpace, encoded_space
from ._trials import History, design_seed, new_trial_docs, read_history
from .sobol import design_points

__all__ = ["suggest_with_model"]

Proposer = Callable[[EncodedSpace, History, np.random.Generator], np.ndarray]


def suggest_with_model(
    propose: Proposer, new_ids, domain, trials, seed: int, n_initial_points: int
) -> list[dict]:
    """One trial doc per id: Sobol design points first, then ``propose``'s.

    The design runs until ``n_initial_points`` trials exist and two of them
    have a finite loss. Each proposal joins the history as a pending trial
    before the next one is made, so the ids of one call spread out.
    """
    space = encoded_space(domain)
    history = read_history(space, trials)
    rng = np.random.default_rng(seed)
    proposals = []
    for _ in new_ids:
        if history.n_trials < n_initial_points or len(history.X_ok) < 2:
            x = design_points(space, design_seed(trials, seed), history.n_trials, 1)[0]
        else:
            # The model's matrices are small: BLAS threads only compete with
            # the workers fitting meanwhile (and make results depend on the
            # machine's core count).
            with _one_blas_thread():
                x = propose(space, history, rng)
        proposals.append(space.decode(x))
        history = history.with_pending(x)
    return new_trial_docs(domain, trials, new_ids, proposals)


@contextlib.contextmanager
def _one_blas_thread():
    """BLAS limited to one thread meanwhile (threadpoolctl's ``limit``, but a
    library already at one thread is left alone: no calls, no bookkeeping)."""
    libraries = _blas_libraries()
    before = [library.num_threads for library in libraries]
    changed = [(lib, n) for lib, n in zip(libraries, before, strict=True) if n != 1]
    for library, _ in changed:
        library.set_num_threads(1)
    try:
        yield
    finally:
        for library, n in changed:
            library.set_num_threads(n)


@functools.cache
def _blas_libraries() -> tuple:
    """The BLAS libraries loaded (threadpoolctl's controllers), inspected once per process."""
    return tuple(ThreadpoolController().select(user_api="blas").lib_controllers)
