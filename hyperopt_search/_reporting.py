"""What a search says: ``verbose`` lines, warnings, and the account of failed fits."""

from __future__ import annotations

import os
import sys
import warnings
from collections import Counter

from sklearn.exceptions import FitFailedWarning

from . import _compat
from ._record import SearchRecord
from ._window import Evaluation

__all__ = [
    "account_for_failures",
    "caller_of_fit",
    "print_told",
    "warn_if_workers_starve",
]

_OWN_CODE = tuple(
    os.path.dirname(os.path.abspath(module.__file__)) + os.sep
    for module in (sys.modules[__package__], sys.modules["sklearn"])
)


def caller_of_fit() -> int:
    """``stacklevel`` of the first frame outside this package and scikit-learn.

    A warning then points at the user's line that called ``fit`` (or
    ``cross_val_score``...), as scikit-learn's own warnings do, and warning
    filters on this package's modules do not catch it.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_OWN_CODE):
        frame, level = frame.f_back, level + 1
    return level


def print_told(told: list[Evaluation], record: SearchRecord, *, n_iter: int, rounds: bool):
    """``verbose``: one line per round (``"rounds"``), else one per candidate."""
    best = f"{record.best_score:.5g}"
    if rounds:
        metric = record.objective.metric_name(record.outs[-record.n_splits :])
        print(
            f"[HyperoptSearchCV] round {record.rounds[-1]}: {len(told)} candidates, "
            f"{record.n_candidates}/{n_iter} evaluated, best {metric} {best}"
        )
        return
    (evaluation,) = told
    what = f"score {record.scores[-1]:.5g}"
    if evaluation.n_fitted < evaluation.n_splits:
        what = f"raced out after {evaluation.n_fitted}/{evaluation.n_splits} folds"
    print(
        f"[HyperoptSearchCV] candidate {record.n_candidates}/{n_iter} "
        f"(round {record.rounds[-1]}): {what}, best {best}"
    )


def warn_if_workers_starve(search, n_splits: int, n_workers: int, *, pipelined: bool) -> None:
    """Warn when the candidates in flight have fewer fits than there are workers."""
    if search.racing and pipelined:
        if search.batch_size < n_workers:
            warnings.warn(
                f"racing=True fits one fold of each candidate in flight at a time: "
                f"batch_size={search.batch_size} keeps at most {search.batch_size} of "
                f"{n_workers} workers busy. Use batch_size >= {2 * n_workers}.",
                UserWarning,
                stacklevel=caller_of_fit(),
            )
        return
    if search.batch_size * n_splits < n_workers:
        warnings.warn(
            f"batch_size={search.batch_size} x {n_splits} folds gives "
            f"{search.batch_size * n_splits} fits per round for {n_workers} "
            f"workers: some stay idle. Use batch_size >= "
            f"{-(-2 * n_workers // n_splits)} to keep them busy.",
            UserWarning,
            stacklevel=caller_of_fit(),
        )


def account_for_failures(record: SearchRecord, error_score) -> None:
    """scikit-learn's account of the failed fits of this ``fit``, once, at its end.

    Some failed: scikit-learn's ``FitFailedWarning``. All failed and nothing
    earlier to fall back on: scikit-learn's "All the N fits failed" error.
    All failed in a continued search: a warning, since earlier candidates
    stand.
    """
    outs = record.new_fitted_outs()
    if not outs:
        return
    errors = [out["fit_error"] for out in outs]
    if not all(error is not None for error in errors) or record.n_prior == 0:
        _compat.warn_or_raise_about_fit_failures(outs, error_score)
        return
    summary = "\n".join(
        f"{'-' * 80}\n{n} fits failed with the following error:\n{error}"
        for error, n in Counter(errors).items()
    )
    warnings.warn(
        f"\nAll the {len(errors)} fits of this continued search failed; their scores "
        f"are set to {error_score}, and the best candidate comes from the earlier ones.\n"
        f"Below are more details about the failures:\n{summary}",
        FitFailedWarning,
        stacklevel=caller_of_fit(),
    )
