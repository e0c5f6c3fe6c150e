"""The one adapter over hyperopt's internals: ask for candidates, tell results.

hyperopt has no public ask/tell API. Its algorithms have the signature
``algo(new_ids, domain, trials, seed) -> list of trial docs``; a result is told
by updating the trial doc and calling ``Trials.refresh()``. This module owns
``Trials``, ``Domain`` and the suggest functions; nothing else in the package
touches them.
"""

from __future__ import annotations

import copy
import functools
import itertools
import weakref
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, anneal, pyll, rand, tpe
from hyperopt.base import (
    JOB_STATE_DONE,
    JOB_VALID_STATES,
    Domain,
    miscs_to_idxs_vals,
    miscs_update_idxs_vals,
)
from hyperopt.utils import coarse_utcnow

from ._space import SearchSpace
from .algorithms import gp, mtpe, sobol
from .algorithms._encoding import encoded_space

__all__ = [
    "ALGORITHMS",
    "MODEL_ALGORITHMS",
    "AutoAlgorithm",
    "CachedTPE",
    "Candidate",
    "HyperoptOptimizer",
    "resolve_algo",
]

ALGORITHMS = ("auto", "gp", "mtpe", "tpe", "sobol", "rand", "anneal", "atpe")
#: Algorithms that start from ``n_initial_points`` model-free candidates.
MODEL_ALGORITHMS = ("auto", "gp", "mtpe", "tpe")

#: How often the model is asked again when it proposes a known candidate,
#: before falling back to random draws from the prior.
_MODEL_RETRIES = 3
#: Random draws from the prior tried before enumerating a finite space.
_PRIOR_RETRIES = 30
#: Finite spaces up to this size are enumerated to find unseen candidates.
_MAX_ENUMERATION = 200_000
#: Unseen candidates listed, in table order, from a space without a size.
_MAX_UNSEEN_LISTED = 2_000

_SEED_HIGH = 2**31 - 1
#: trials.attachments key: (generator state, number of trial ids) before each
#: pending trial was proposed.
_SNAPSHOTS = "hyperopt_search.before_proposal"


@dataclass(frozen=True)
class Candidate:
    """A proposed candidate: its hyperopt trial id and scikit-learn params."""

    tid: int
    params: dict[str, Any]


def resolve_algo(
    algo: str | Callable, n_initial_points: int | None, gamma: float | None = None
) -> Callable:
    """The suggest function for ``algo`` (a name or a callable).

    ``n_initial_points`` sets the model-free start-up trials of ``"gp"``,
    ``"mtpe"`` and ``"tpe"``, and ``gamma`` TPE's quantile of "good" trials
    (hyperopt's defaults when None); both are ignored for the other
    algorithms and for callables.
    """
    if callable(algo):
        return algo
    if algo == "auto":
        # Its parts' settings depend on the budget: built in one place only.
        raise ValueError("algo='auto' depends on the budget: use _defaults.proposer.")
    if algo == "gp":
        if n_initial_points is None:
            return gp.suggest
        return functools.partial(gp.suggest, n_initial_points=n_initial_points)
    if algo == "mtpe":
        if n_initial_points is None:
            return mtpe.suggest
        return functools.partial(mtpe.suggest, n_initial_points=n_initial_points)
    if algo == "sobol":
        return sobol.suggest
    if algo == "tpe":
        options = {"n_startup_jobs": n_initial_points, "gamma": gamma}
        return CachedTPE(**{k: v for k, v in options.items() if v is not None})
    if algo == "rand":
        return rand.suggest
    if algo == "anneal":
        return anneal.suggest
    if algo == "atpe":
        try:
            import lightgbm  # noqa: F401
            from hyperopt import atpe
        except ImportError as exc:
            raise ImportError(
                "algo='atpe' needs lightgbm: pip install 'hyperopt-search[atpe]'"
            ) from exc
        return functools.partial(_atpe_suggest, atpe.suggest)
    raise ValueError(f"Unknown algo {algo!r}; expected one of {ALGORITHMS} or a callable.")


class AutoAlgorithm:
    """``algo="auto"``: the Gaussian process where it is strong, multivariate TPE elsewhere.

    Per proposal, from the space and the number of trials only (never from
    timings, so the candidates stay reproducible): the Gaussian process on a
    space of at most :attr:`MAX_GP_DIMS` labels while fewer than
    :attr:`MAX_GP_TRIALS` trials exist (its cost grows with the cube of the
    trials), except for the first :attr:`MIN_CONDITIONAL_GP_TRIALS` trials
    of a space with conditional parameters; multivariate TPE otherwise (a
    proposal costs well under a millisecond, and it models interactions).
    On a conditional space the GP models each branch apart (see
    :mod:`hyperopt_search.algorithms.gp`): multivariate TPE does better
    early, but can starve a branch that is good only in a narrow region;
    the per-branch GP keeps such a branch's uncertainty in view. hyperopt's
    TPE only for a space our algorithms cannot read.
    """

    #: Trials after which multivariate TPE takes over (a GP proposal costs O(n^3)).
    MAX_GP_TRIALS = 200
    #: Labels above which the space counts as high-dimensional.
    MAX_GP_DIMS = 12
    #: Trials of a conditional space proposed by multivariate TPE before the GP.
    MIN_CONDITIONAL_GP_TRIALS = 50

    def __init__(self, gp_algo: Callable, tpe_algo: Callable, mtpe_algo: Callable):
        self.gp_algo = gp_algo
        self.tpe_algo = tpe_algo
        self.mtpe_algo = mtpe_algo

    def choose(self, domain: Domain, n_trials: int) -> Callable:
        """The algorithm of the proposal after ``n_trials`` trials.

        A space our own algorithms cannot read (a hyperopt expression whose
        bounds depend on other labels) gets hyperopt's TPE.
        """
        try:
            space = encoded_space(domain)
        except ValueError:
            return self.tpe_algo
        if space.conditional and n_trials < self.MIN_CONDITIONAL_GP_TRIALS:
            return self.mtpe_algo
        if space.n_dims <= self.MAX_GP_DIMS and n_trials < self.MAX_GP_TRIALS:
            return self.gp_algo
        return self.mtpe_algo

    def name_of(self, algo: Callable) -> str:
        """``"gp"``, ``"mtpe"`` or ``"tpe"``: the name of one of the algorithms."""
        if algo is self.gp_algo:
            return "gp"
        return "mtpe" if algo is self.mtpe_algo else "tpe"

    def uses_gp(self, domain: Domain, n_trials: int) -> bool:
        """Whether the proposal after ``n_trials`` trials comes from the GP."""
        return self.choose(domain, n_trials) is self.gp_algo

    def __call__(self, new_ids, domain, trials, seed):
        return self.choose(domain, len(trials.trials))(new_ids, domain, trials, seed)


class CachedTPE:
    """hyperopt's ``tpe.suggest``, without its per-call rebuilding.

    ``tpe.suggest`` rebuilds the pyll graph of TPE's posterior on every call,
    although the graph depends only on the domain and on ``prior_weight`` and
    ``gamma`` (the observations enter through a fresh ``memo``), and rebuilds
    the per-label lists of observed values from every trial. This callable
    builds the graph once per domain and extends the lists with new trials
    only; otherwise it follows ``tpe.suggest`` of hyperopt 0.3.0 step by step:
    the same trials and seed give the same proposal (a test checks this
    against ``tpe.suggest``).
    """

    def __init__(
        self,
        prior_weight: float = tpe._default_prior_weight,
        n_startup_jobs: int = tpe._default_n_startup_jobs,
        n_EI_candidates: int = tpe._default_n_EI_candidates,
        gamma: float = tpe._default_gamma,
    ):
        self.prior_weight = prior_weight
        self.n_startup_jobs = n_startup_jobs
        self.n_EI_candidates = n_EI_candidates
        self.gamma = gamma
        self._posteriors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _posterior(self, domain: Domain):
        if domain not in self._posteriors:
            self._posteriors[domain] = tpe.build_posterior_wrapper(
                domain, self.prior_weight, self.gamma
            )
        return self._posteriors[domain]

    def _observations(self, domain: Domain, tids: list, docs: list) -> tuple[dict, dict]:
        """``miscs_to_idxs_vals`` of ``docs``, kept up to date incrementally.

        Searches only ever append trials (in increasing tid order), so the
        per-label lists of the previous call are extended with the new docs;
        anything else (trials removed or reordered) rebuilds them.
        """
        keys = list(domain.params.keys())
        cached = self._cache.get(domain)
        if cached is None or tids[: len(cached[0])] != cached[0]:
            cached = ([], *miscs_to_idxs_vals([], keys=keys))
        done_tids, idxs, vals = cached
        new_docs = docs[len(done_tids) :]
        if new_docs:
            new_idxs, new_vals = miscs_to_idxs_vals([d["misc"] for d in new_docs], keys=keys)
            for key in keys:
                idxs[key].extend(new_idxs[key])
                vals[key].extend(new_vals[key])
            done_tids.extend(tids[len(done_tids) :])
        self._cache[domain] = (done_tids, idxs, vals)
        # Copies: the posterior graph must not see (or change) the cache.
        return {k: list(v) for k, v in idxs.items()}, {k: list(v) for k, v in vals.items()}

    def __call__(self, new_ids, domain, trials, seed):
        # The best result per trial id (hyperopt allows several docs per tid).
        best_docs, best_losses = {}, {}
        for doc in trials.trials:
            tid = doc["misc"].get("from_tid", doc["tid"])
            loss = doc["result"].get("loss")
            loss = float("inf") if loss is None else float(loss)
            best_losses.setdefault(tid, loss)
            if loss <= best_losses[tid]:
                best_losses[tid] = loss
                best_docs[tid] = doc
        if len(best_docs) < self.n_startup_jobs:
            return rand.suggest(new_ids, domain, trials, seed)

        tids = sorted(best_docs)
        docs = [best_docs[tid] for tid in tids]
        observed, observed_loss, posterior = self._posterior(domain)
        first_new_id = new_ids[0]
        fake_id_0 = max([*tids, first_new_id]) + 2
        fake_ids = list(range(fake_id_0, fake_id_0 + self.n_EI_candidates))
        observed_idxs, observed_vals = self._observations(domain, tids, docs)
        memo = {
            domain.s_new_ids: fake_ids,
            domain.s_rng: np.random.default_rng(seed),
            observed_loss["idxs"]: tids,
            observed_loss["vals"]: [best_losses[tid] for tid in tids],
            observed["idxs"]: observed_idxs,
            observed["vals"]: observed_vals,
        }
        idxs, vals = pyll.rec_eval(posterior, memo=memo, print_node_on_error=False)
        for label, param in domain.params.items():  # tpe.suggest's randint offset
            if param.name == "randint" and len(param.pos_args) == 2:
                offset = param.pos_args[0].obj
                vals[label] = [val + offset for val in vals[label]]
        miscs = [{"tid": first_new_id, "cmd": domain.cmd, "workdir": domain.workdir}]
        miscs_update_idxs_vals(
            miscs, idxs, vals, idxs_map={fake_ids[0]: first_new_id}, assert_all_vals_used=False
        )
        return trials.new_trial_docs([first_new_id], [None], [domain.new_result()], miscs)


def _refresh_appended(trials: Trials) -> None:
    """``trials.refresh()`` after docs were appended by ``insert_trial_docs``.

    ``Trials.refresh`` rebuilds its list of trials from every doc, which makes
    a search quadratic in its candidates: for a plain ``Trials`` whose list
    was up to date before the insert, the new docs are appended instead (the
    same list ``refresh`` would build). Any other ``Trials`` is refreshed.
    """
    listed, dynamic = trials._trials, trials._dynamic_trials
    n_new = len(dynamic) - len(listed)
    if (
        type(trials) is not Trials
        or n_new < 0
        or (listed and dynamic[len(listed) - 1] is not listed[-1])
    ):
        trials.refresh()
        return
    new = dynamic[len(dynamic) - n_new :]
    if any(d["state"] not in JOB_VALID_STATES or d["exp_key"] != trials._exp_key for d in new):
        trials.refresh()
        return
    trials._trials = [*listed, *new]  # a new list, as refresh() gives
    trials._ids.update(d["tid"] for d in new)


def _latest_docs(trials: Trials, tids) -> dict[int, dict]:
    """The last doc of each trial id in ``tids`` (searched from the newest)."""
    wanted, found = set(tids), {}
    for doc in reversed(trials._dynamic_trials):
        tid = doc["tid"]
        if tid in wanted and tid not in found:
            found[tid] = doc
            if len(found) == len(wanted):
                break
    return found


def _atpe_suggest(suggest: Callable, new_ids, domain, trials, seed):
    """hyperopt 0.3.0's ATPE on a view of the trials it can read.

    ATPE reads ``result["loss"]`` of every trial (a KeyError for pending and
    failed trials, which have none) and their book/refresh times. It sees the
    finished trials only, failures with the worst loss seen.
    """
    done = [t for t in trials.trials if t["state"] == JOB_STATE_DONE]
    losses = [t["result"]["loss"] for t in done if "loss" in t["result"]]
    worst = max(losses, default=0.0)
    view = Trials()
    for t in done:
        doc = dict(t, result={**t["result"], "loss": t["result"].get("loss", worst)})
        view._insert_trial_docs([doc])
    view.refresh()
    return suggest(new_ids, domain, view, seed)


def _no_objective(params: Any) -> float:  # pragma: no cover - never evaluated
    raise RuntimeError("hyperopt_search evaluates candidates itself")


class HyperoptOptimizer:
    """Ask hyperopt for batches of new candidates and tell it their losses.

    Parameters
    ----------
    space : SearchSpace
        The converted search space.
    algo : callable
        A hyperopt suggest function, ``algo(new_ids, domain, trials, seed)``.
    rng : numpy.random.Generator
        Source of the seeds of every suggestion: the sequence of candidates
        depends on it (and on the results told) only.
    trials : hyperopt.Trials, optional
        Trials to continue from; a new one by default.

    Notes
    -----
    Candidates of a batch are asked one at a time, each inserted as a pending
    trial before the next ask: TPE treats pending trials as bad, which spreads
    a batch out. A proposal equal to a known candidate (evaluated or pending)
    is not returned: the model is asked again with new seeds, then random draws
    from the prior are tried, then, for a finite space, an unseen point is
    picked at random. When none is left, the space is exhausted.
    """

    def __init__(
        self,
        space: SearchSpace,
        algo: Callable,
        rng: np.random.Generator,
        trials: Trials | None = None,
    ):
        self.space = space
        self.algo = algo
        self.rng = rng
        self._first: list[dict[str, list]] = []
        self.trials = Trials() if trials is None else trials
        self.trials.refresh()  # later inserts only append to its list
        # Building the Domain vectorises the space: once per search.
        self.domain = Domain(_no_objective, space.expr)
        self._seen: dict[Hashable, int] = {}
        for doc in self.trials._dynamic_trials:
            self._seen.setdefault(space.key(doc["misc"]["vals"]), doc["tid"])
        self.exhausted = False

    def propose_first(self, candidates: Sequence[dict[str, Any]]) -> None:
        """Propose these known candidates before asking the algorithm (``initial_candidates``).

        In order, each unless it is known already: a continued search
        proposes those it has not evaluated yet. They use no random draw.
        """
        self._first = [self.space.encode(params) for params in candidates]

    @property
    def n_seen(self) -> int:
        """Number of distinct candidates proposed so far."""
        return len(self._seen)

    # -- ask ---------------------------------------------------------------

    def ask(self, n: int) -> list[Candidate]:
        """Propose up to ``n`` new, distinct candidates.

        Fewer are returned only when the space is exhausted (then
        ``self.exhausted`` is True).
        """
        batch = []
        for _ in range(n):
            proposal = self._propose()
            if proposal is None:
                self.exhausted = True
                break
            batch.append(self._insert(*proposal))
        return batch

    def _propose(self) -> tuple[dict, Hashable] | None:
        """A new trial doc and its candidate's key, or None when exhausted."""
        # What an interrupted candidate gives back: the generator and the
        # trial ids as they were before it was proposed (see discard_pending).
        self._snapshot = (copy.deepcopy(self.rng.bit_generator.state), len(self.trials._ids))
        if self.space.size is not None and self.n_seen >= self.space.size:
            return None
        for vals in self._first:
            if (key := self.space.key(vals)) not in self._seen:
                return self._new_doc(copy.deepcopy(vals)), key
        for algo, tries in ((self.algo, _MODEL_RETRIES), (rand.suggest, _PRIOR_RETRIES)):
            for _ in range(tries):
                (tid,) = self.trials.new_trial_ids(1)
                docs = algo([tid], self.domain, self.trials, self._seed())
                if not docs:  # an algorithm may signal that it is done
                    return None
                key = self.space.key(docs[0]["misc"]["vals"])
                if key not in self._seen:
                    return docs[0], key
        return self._unseen_point()

    def _unseen_point(self) -> tuple[dict, Hashable] | None:
        size = self.space.size
        if size is None and self.space.enumerable:
            # A heavy-tailed discrete distribution (zipf(2)) whose prior keeps
            # drawing known values: its first unseen values, most probable first.
            values = self.space.iter_vals(truncated=True)
        elif size is None or size > _MAX_ENUMERATION:
            return None  # practically exhausted: the prior keeps repeating itself
        else:
            values = self.space.iter_vals()
        unseen = list(
            itertools.islice(
                (
                    (vals, key)
                    for vals in values
                    if (key := self.space.key(vals)) not in self._seen
                ),
                _MAX_ENUMERATION if size is not None else _MAX_UNSEEN_LISTED,
            )
        )
        if not unseen:
            return None
        if self.space.truncated:
            # An infinite discrete distribution: its most probable unseen
            # values first, moving out into its tails.
            log_prior = np.array([self.space.log_prior(vals) for vals, _ in unseen])
            unseen = [unseen[i] for i in np.flatnonzero(log_prior >= log_prior.max() - 1e-9)]
        vals, key = unseen[self.rng.integers(len(unseen))]
        return self._new_doc(vals), key

    def _insert(self, doc: dict, key: Hashable) -> Candidate:
        """Add a proposed or known trial doc to the trials, as a pending trial."""
        doc["book_time"] = coarse_utcnow()
        self.trials.insert_trial_docs([doc])
        _refresh_appended(self.trials)
        self._seen.setdefault(key, doc["tid"])
        snapshot = getattr(self, "_snapshot", None)
        if snapshot is not None:
            self.trials.attachments.setdefault(_SNAPSHOTS, {})[doc["tid"]] = snapshot
            self._snapshot = None
        return Candidate(doc["tid"], self.space.decode(doc["misc"]["vals"]))

    def _new_doc(self, vals: dict[str, list]) -> dict:
        (tid,) = self.trials.new_trial_ids(1)
        idxs = {label: [tid] if v else [] for label, v in vals.items()}
        misc = {
            "tid": tid,
            "cmd": self.domain.cmd,
            "workdir": self.domain.workdir,
            "idxs": idxs,
            "vals": vals,
        }
        (doc,) = self.trials.new_trial_docs([tid], [None], [self.domain.new_result()], [misc])
        return doc

    def _seed(self) -> int:
        return int(self.rng.integers(_SEED_HIGH))

    # -- tell --------------------------------------------------------------

    def tell(self, losses: dict[int, float | None]) -> None:
        """Record finished candidates: trial id -> loss, or None for a failure.

        A failure is told as hyperopt's ``STATUS_FAIL`` without a loss, which
        TPE treats as an infinitely bad result (never as a real score).
        """
        by_tid = _latest_docs(self.trials, losses)
        now = coarse_utcnow()
        for tid, loss in losses.items():
            doc = by_tid[tid]
            doc["state"] = JOB_STATE_DONE
            doc["refresh_time"] = now
            if loss is None or not np.isfinite(loss):
                doc["result"] = {"status": STATUS_FAIL}
            else:
                doc["result"] = {"status": STATUS_OK, "loss": float(loss)}
        snapshots = self.trials.attachments.get(_SNAPSHOTS, {})
        for tid in losses:
            snapshots.pop(tid, None)
        if type(self.trials) is not Trials:
            # A finished trial stays in a plain Trials' list (DONE is a valid
            # state): only another kind of Trials may need to hear of it.
            self.trials.refresh()

    def pending(self) -> list[Candidate]:
        """The proposed candidates not told yet, in proposal order."""
        return [
            Candidate(doc["tid"], self.space.decode(doc["misc"]["vals"]))
            for doc in self.trials._dynamic_trials
            if doc["state"] != JOB_STATE_DONE
        ]

    def discard_pending(self) -> None:
        """Forget proposed candidates that were never told (an interrupted round).

        The random generator and hyperopt's trial ids go back to where they
        were before the first of them was proposed: continuing proposes what
        an uninterrupted search would have.
        """
        pending = [d for d in self.trials._dynamic_trials if d["state"] != JOB_STATE_DONE]
        if not pending:
            return
        dropped = {d["tid"] for d in pending}
        self.trials._dynamic_trials[:] = [
            d for d in self.trials._dynamic_trials if d["tid"] not in dropped
        ]
        self._seen = {key: tid for key, tid in self._seen.items() if tid not in dropped}
        snapshots = self.trials.attachments.get(_SNAPSHOTS, {})
        first = min(dropped)
        if first in snapshots:
            rng_state, n_ids = snapshots[first]
            self.rng.bit_generator.state = rng_state
            self.trials._ids = {tid for tid in self.trials._ids if tid < n_ids}
        for tid in dropped:
            snapshots.pop(tid, None)
        self.trials.refresh()

    def add(self, params: dict[str, Any], loss: float | None) -> Candidate:
        """Insert an already evaluated candidate, told ``loss`` (None: failed)."""
        vals = self.space.encode(params)
        candidate = self._insert(self._new_doc(vals), self.space.key(vals))
        self.tell({candidate.tid: loss})
        return candidate
