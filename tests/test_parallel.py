"""Parallel and distributed searches: ``n_jobs`` and joblib's Dask backend.

The candidates of a search depend on ``random_state`` and ``batch_size`` only:
``n_jobs=1``, ``n_jobs=2``, ``n_jobs=-1`` and a Dask cluster must give the
same ``cv_results_``. The Dask tests start a real two-worker
``LocalCluster`` (processes, loopback only) and check, through a scorer that
reports the process id it runs in and through the scheduler's task stream,
that the fits ran on the cluster's workers.
"""

import os

import joblib
import numpy as np
import pytest
from scipy.stats import loguniform, randint
from sklearn.datasets import make_classification
from sklearn.tree import DecisionTreeClassifier

from hyperopt_search import HyperoptSearchCV

N_ITER = 8
BATCH_SIZE = 3
CV = 3


def pid_scorer(estimator, X, y):
    """A "score" that is the id of the process the fit and scoring ran in."""
    return float(os.getpid())


SCORING = {"accuracy": "accuracy", "pid": pid_scorer}


@pytest.fixture(scope="module")
def data():
    return make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=2, random_state=0
    )


def _search(**params):
    # The rounds (one joblib.Parallel call each) unless a test says otherwise.
    params = {"schedule": "rounds", **params}
    return HyperoptSearchCV(
        DecisionTreeClassifier(random_state=0),
        {
            "max_depth": randint(1, 8),
            "min_samples_leaf": randint(1, 10),
            "ccp_alpha": loguniform(1e-4, 1e-1),
            "criterion": ["gini", "entropy"],
        },
        n_iter=N_ITER,
        n_initial_points=3,
        batch_size=BATCH_SIZE,
        cv=CV,
        scoring=SCORING,
        refit="accuracy",
        random_state=0,
        **params,
    )


@pytest.fixture(scope="module")
def serial(data):
    """The reference: the same search with ``n_jobs=1``."""
    return _search(n_jobs=1).fit(*data)


def _fit_pids(search):
    """The process ids in which each (candidate, fold) was fitted and scored."""
    results = search.cv_results_
    return {int(results[f"split{k}_test_pid"][i]) for i in range(N_ITER) for k in range(CV)}


def assert_same_search(search, reference):
    """Same candidates, in the same order and rounds, with the same scores."""
    got, expected = search.cv_results_, reference.cv_results_
    assert got["params"] == expected["params"]
    np.testing.assert_array_equal(got["hyperopt_round"], expected["hyperopt_round"])
    np.testing.assert_array_equal(got["hyperopt_tid"], expected["hyperopt_tid"])
    for k in range(CV):
        key = f"split{k}_test_accuracy"
        np.testing.assert_array_equal(got[key], expected[key])
    assert search.best_params_ == reference.best_params_
    assert search.best_index_ == reference.best_index_


def test_serial_search_fits_in_this_process(serial):
    assert serial.n_candidates_ == N_ITER
    assert _fit_pids(serial) == {os.getpid()}
    # The rounds: the initial one (max(batch_size, n_initial_points)), then batches.
    assert np.bincount(serial.cv_results_["hyperopt_round"]).tolist() == [3, 3, 2]


@pytest.mark.parametrize("n_jobs", [1, 2, -1])
def test_n_jobs_gives_identical_candidates(data, serial, n_jobs):
    search = _search(n_jobs=n_jobs).fit(*data)
    assert_same_search(search, serial)


def test_n_jobs_2_fits_in_worker_processes(data, serial):
    search = _search(n_jobs=2).fit(*data)
    assert_same_search(search, serial)
    assert os.getpid() not in _fit_pids(search)


def test_threading_backend_gives_identical_candidates(data, serial):
    with joblib.parallel_config(backend="threading", n_jobs=2):
        search = _search().fit(*data)
    assert_same_search(search, serial)


# -- Dask ------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _worker_pids(client):
    return set(client.run(os.getpid).values())


@pytest.mark.parametrize("scatter", [False, True], ids=["auto-scatter", "scatter-X-y"])
def test_dask_backend_runs_fits_on_the_workers(data, serial, dask_client, scatter):
    from distributed import get_task_stream

    X, y = data
    config = {"scatter": [X, y]} if scatter else {}
    with (
        get_task_stream(dask_client) as task_stream,
        joblib.parallel_config(backend="dask", **config),
    ):
        search = _search().fit(X, y)

    assert_same_search(search, serial)
    worker_pids = _worker_pids(dask_client)
    assert len(worker_pids) == 2
    assert os.getpid() not in worker_pids
    # Every fit was scored in a worker process, none in this one.
    assert _fit_pids(search) <= worker_pids
    # The scheduler saw joblib's batches of `_fit_and_score` calls on its workers.
    fit_tasks = [t for t in task_stream.data if "_fit_and_score" in t["key"]]
    assert fit_tasks
    assert {t["worker"] for t in fit_tasks} <= set(dask_client.scheduler_info()["workers"])


def test_dask_backend_with_n_jobs_gives_identical_candidates(data, serial, dask_client):
    with joblib.parallel_config(backend="dask"):
        search = _search(n_jobs=2).fit(*data)
    assert_same_search(search, serial)
    assert _fit_pids(search) <= _worker_pids(dask_client)


# -- the pipelined schedules on Dask -------------------------------------------


@pytest.mark.parametrize("schedule", ["ordered", "async"])
def test_pipelined_schedules_run_fits_on_dask_workers(data, dask_client, schedule):
    from distributed import get_task_stream

    X, y = data
    reference = _search(n_jobs=1, schedule="ordered").fit(X, y)

    def arrays_on_cluster():
        keys = dask_client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.tasks))
        return {str(key) for key in keys if str(key).startswith("ndarray-")}

    before = arrays_on_cluster()
    scattered = []

    def count_scattered(search, results):
        scattered.append(frozenset(arrays_on_cluster() - before))

    with (
        get_task_stream(dask_client) as task_stream,
        joblib.parallel_config(backend="dask"),
    ):
        search = _search(schedule=schedule, monitor=count_scattered).fit(X, y)

    if schedule == "ordered":
        assert_same_search(search, reference)
    else:  # "async" tells candidates as they finish: same budget, maybe not the same ones
        assert search.n_candidates_ == N_ITER
        assert len(set(search.cv_results_["hyperopt_tid"].tolist())) == N_ITER
    assert _fit_pids(search) <= _worker_pids(dask_client)
    fit_tasks = [t for t in task_stream.data if "fit_and_score" in t["key"]]
    assert len(fit_tasks) == N_ITER * CV
    # X and y were scattered once per search, not sent again with every fit.
    assert len(set(scattered)) == 1
    assert len(scattered[0]) == 2
