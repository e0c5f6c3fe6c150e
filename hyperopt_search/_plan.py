"""Everything a ``fit`` checks and prepares before its first fit.

:func:`plan_fit` validates the space against the estimator, the checkpoint
path, the state to continue (:mod:`._resume`), the schedule and racing, and
builds the folds, the record, the proposer and the stopping rules. Any
problem raises here, naming the parameter, before a model is fitted.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state

from . import _compat
from ._defaults import proposer
from ._executor import pipeline_unsupported
from ._known import EarlierResults, KnownStart, known_start
from ._objective import Objective
from ._optimizer import HyperoptOptimizer
from ._record import SearchRecord
from ._reporting import caller_of_fit
from ._resume import previous_state, settings_of
from ._space import SearchSpace, to_hyperopt_space
from ._state import SearchState, check_checkpoint_path, check_picklable, space_signature
from ._stopping import StoppingRules

__all__ = ["FitPlan", "plan_fit"]


@dataclass
class FitPlan:
    """What a ``fit`` runs: the checked space and settings, the record and the proposer.

    ``finished`` is why a continued search has nothing left to do (its
    results are reloaded, nothing is fitted), None otherwise.
    """

    space: SearchSpace
    settings: dict[str, str]
    fingerprint: str
    schedule: str
    racing: bool
    record: SearchRecord
    optimizer: HyperoptOptimizer
    startup: int
    rules: StoppingRules
    finished: str | None
    known: KnownStart
    n_iter: int

    @property
    def budget(self) -> int:
        """Candidates in the record once ``n_iter`` are evaluated: reused ones come on top."""
        return self.n_iter + self.record.n_reused

    def state(self, *, detached: bool = False) -> SearchState:
        """A snapshot of the search, to continue it (checkpoint, ``warm_start``).

        Candidates in flight stay in it: a continued pipelined search fits
        them first, so it proposes what the uninterrupted search would have.
        ``detached``: with copies of hyperopt's trials and generator, which
        the optimizer may then change (after an interrupt).
        """
        trials, rng = self.optimizer.trials, self.optimizer.rng
        if detached:
            trials, rng = copy.deepcopy(trials), copy.deepcopy(rng)
        return self.record.state(
            trials=trials,
            rng=rng,
            signature=space_signature(self.space),
            fingerprint=self.fingerprint,
            settings=self.settings,
        )


def plan_fit(search, X, y, split_params: dict, fingerprint: str) -> FitPlan:
    """Check everything and prepare a ``fit`` of ``search`` on ``X``, ``y``."""
    space = _check_space(search)
    if search.checkpoint is not None:
        check_checkpoint_path(search.checkpoint)
        check_picklable(space)
    settings = settings_of(search, space)
    prior = previous_state(search, space, settings, fingerprint)
    schedule = _resolve_schedule(search)
    racing = _check_racing(search, schedule)
    objective = Objective(search.refit)
    proposal = proposer(search.algo, search.n_iter, search.n_initial_points)
    optimizer = _optimizer(search, space, proposal.algo, prior)
    domain_startup = proposal.startup(optimizer.domain)
    known = known_start(search, space, settings, fingerprint, max(domain_startup, 1))
    if prior is None:  # a continued search warned when it started
        _warn_if_nothing_known(known)
    optimizer.propose_first(known.first)
    if prior is not None:
        record = SearchRecord.from_state(prior, objective)
    elif known.reused is not None:
        record = _reused_record(known.reused, objective, optimizer)
    else:
        record = SearchRecord(_fold_splits(search, X, y, split_params), objective)
    rules = StoppingRules(
        search.n_iter_no_change, search.tol, search.score_threshold, search.timeout
    )
    finished = None if prior is None else _finished_before(search, space, record, rules)
    if schedule == "rounds" or finished is not None:
        # Candidates a pipelined search had in flight: only a pipelined
        # search resumes them; a round is proposed again, as it was.
        optimizer.discard_pending()
        record.discard_pending()
    startup = 0
    if record.n_rounds == 0:
        # The known candidates come first, in place of model-free ones;
        # reused results take the places of model-free ones too.
        startup = max(domain_startup - record.n_reused, len(known.first), 0)
    return FitPlan(
        space=space,
        settings=settings,
        fingerprint=fingerprint,
        schedule=schedule,
        racing=racing,
        record=record,
        optimizer=optimizer,
        startup=startup,
        rules=rules,
        finished=finished,
        known=known,
        n_iter=search.n_iter,
    )


def _check_space(search) -> SearchSpace:
    space = to_hyperopt_space(search.param_distributions)
    for index, branch in enumerate(space.branches):
        try:
            # Cloned values: set_params must not touch the user's objects.
            clone(search.estimator).set_params(**clone(branch.example(), safe=False))
        except ValueError as exc:
            where = f" (dict {index})" if len(space.branches) > 1 else ""
            raise ValueError(f"Invalid parameter in param_distributions{where}: {exc}") from exc
    return space


def _resolve_schedule(search) -> str:
    """``schedule``, with ``"auto"`` resolved for joblib's current backend."""
    if search.schedule != "auto":
        return search.schedule
    reason = pipeline_unsupported(search.n_jobs)
    schedule = "ordered" if reason is None else "rounds"
    if search.verbose > 0:
        why = "" if reason is None else f" ({reason})"
        print(f"[HyperoptSearchCV] schedule='auto': {schedule!r}{why}")
    return schedule


def _check_racing(search, schedule: str) -> bool:
    """Whether the folds are raced: ``racing`` needs a pipelined schedule."""
    if not search.racing or schedule != "rounds":
        return bool(search.racing)
    if search.schedule == "rounds":
        raise ValueError(
            "racing=True needs a pipelined schedule ('auto', 'ordered' or 'async'); "
            "got schedule='rounds', which fits all folds of a round at once."
        )
    warnings.warn(
        "racing=True is ignored: schedule='auto' runs 'rounds' on this joblib "
        "backend, which fits all folds of a round at once; every candidate gets "
        "all its folds.",
        UserWarning,
        stacklevel=caller_of_fit(),
    )
    return False


def _fold_splits(search, X, y, split_params: dict) -> list:
    """The folds of a new search, computed once (even for a shuffling splitter)."""
    cv = check_cv(search.cv, y, classifier=is_classifier(search.estimator))
    n_splits = cv.get_n_splits(X, y, **split_params)
    splits = list(cv.split(X, y, **split_params))
    if not splits:
        raise ValueError(
            "No fits were performed. Was the CV iterator empty? Were there no candidates?"
        )
    if len(splits) != n_splits:
        raise ValueError(_compat.inconsistent_splits_message(n_splits, len(splits)))
    return splits


def _optimizer(search, space: SearchSpace, algo, prior: SearchState | None):
    if prior is not None:
        # Copies: the previous fit's state stays as it was if this one fails.
        rng, trials = copy.deepcopy(prior.rng), copy.deepcopy(prior.trials)
        return HyperoptOptimizer(space, algo, rng, trials=trials)
    random_state = search.random_state
    if isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(2**32))
    else:
        seed = int(check_random_state(random_state).randint(2**31 - 1))
    return HyperoptOptimizer(space, algo, np.random.default_rng(seed))


def _reused_record(earlier: EarlierResults, objective: Objective, optimizer) -> SearchRecord:
    """A new record holding an earlier search's results, on its folds, told to the proposer."""
    record = SearchRecord(earlier.splits, objective)
    for params, outs, n_fitted, loss in zip(
        earlier.params, earlier.outs, earlier.n_fitted, earlier.losses, strict=True
    ):
        candidate = optimizer.add(params, loss)
        record.append(candidate.tid, candidate.params, outs, n_fitted, reused=True)
    record.n_prior = record.n_candidates  # failures are accounted for per fit
    return record


def _warn_if_nothing_known(known: KnownStart) -> None:
    if known.rule in ("reused", "transfer") and not known.first and known.reused is None:
        warnings.warn(
            f"initial_candidates: none of the earlier search's {known.n_earlier} "
            "candidates lies in param_distributions; the search starts from nothing.",
            UserWarning,
            stacklevel=caller_of_fit(),
        )


def _finished_before(search, space: SearchSpace, record: SearchRecord, rules) -> str | None:
    """Why a continued search has nothing left to do, if it has not."""
    if record.n_candidates >= search.n_iter + record.n_reused:
        return "n_iter"
    if space.size is not None and record.n_candidates >= space.size:
        return "exhausted"
    return rules.after_round(record.real_scores)
