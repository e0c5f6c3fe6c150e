"""Do two checkouts propose the same candidates? Sequences of proposals, recorded and compared.

An exact speedup of a proposal algorithm must leave every proposal as it
was (a golden file pins the default search's candidates). This script runs
the algorithm on cheap synthetic objectives over every benchmark task's space
(``tasks.py``: flat, conditional, categorical, grid-like), with a failing
region and some batches of two (pending trials), for several seeds, and
writes every proposed ``misc["vals"]``; ``--compare`` reruns and reports the
first difference per run::

    python benchmarks/same_proposals.py --record benchmarks/scratch/before.json
    # ... change the algorithm ...
    python benchmarks/same_proposals.py --compare benchmarks/scratch/before.json

Values are compared exactly (``==`` on the floats).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from hyperopt import STATUS_FAIL, STATUS_OK, Trials  # noqa: E402
from hyperopt.base import JOB_STATE_DONE, Domain  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from spaces import to_scipy  # noqa: E402
from tasks import TASKS  # noqa: E402

from hyperopt_search import to_hyperopt_space  # noqa: E402
from hyperopt_search.algorithms import gp, mtpe  # noqa: E402

ALGOS = {"gp": gp.suggest, "mtpe": mtpe.suggest}


def _weight(label: str) -> float:
    return (zlib.crc32(label.encode()) % 1000) / 1000.0


def _outcome(vals: dict) -> tuple[str, float]:
    """A smooth loss of the active values; fails where the first value is large."""
    z = {
        label: math.log1p(abs(float(v[0]))) / (1.0 + math.log1p(abs(float(v[0]))))
        for label, v in sorted(vals.items())
        if v
    }
    loss = sum((value - _weight(label)) ** 2 for label, value in z.items())
    first = next(iter(z.values()))
    if first > 0.8 - 0.3 * _weight(next(iter(z))):
        return STATUS_FAIL, math.nan
    return STATUS_OK, loss


def run(algo, space, seed: int, n: int) -> list[dict]:
    """``n`` proposals, told at once; every third ask is a batch of two."""
    domain = Domain(lambda _: 0.0, space.expr)
    trials = Trials()
    rng = np.random.default_rng(seed)
    proposed = []
    step = 0
    while len(trials.trials) < n:
        step += 1
        ids = trials.new_trial_ids(2 if step % 3 == 0 else 1)
        docs = algo(ids, domain, trials, int(rng.integers(2**31 - 1)))
        for doc in docs:
            status, loss = _outcome(doc["misc"]["vals"])
            doc["state"] = JOB_STATE_DONE
            doc["result"] = {"status": status} | ({"loss": loss} if status == STATUS_OK else {})
            proposed.append({k: [float(x) for x in v] for k, v in doc["misc"]["vals"].items()})
        trials.insert_trial_docs(docs)
        trials.refresh()
    return proposed


def record(algos: list[str], tasks: list[str], seeds: list[int], n: int) -> dict:
    out = {}
    for name in algos:
        for task in tasks:
            space = to_hyperopt_space(to_scipy(TASKS[task].space))
            for seed in seeds:
                start = time.perf_counter()
                out[f"{name}/{task}/{seed}"] = run(ALGOS[name], space, seed, n)
                print(f"{name}/{task}/{seed}: {time.perf_counter() - start:.1f} s", flush=True)
    return out


def compare(before: dict, after: dict) -> int:
    """Number of runs that differ; prints the first difference of each."""
    n_diff = 0
    before = {key: old for key, old in before.items() if key in after}
    for key, old in before.items():
        new = after[key]
        first = next((i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b), None)
        if first is not None:
            n_diff += 1
            print(f"DIFFERENT {key}: proposal {first}: {old[first]} vs {new[first]}")
    print(f"{len(before) - n_diff} of {len(before)} runs identical")
    return n_diff


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--record", type=Path)
    what.add_argument("--compare", type=Path)
    parser.add_argument("--algos", nargs="+", default=["gp"], choices=list(ALGOS))
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--n", type=int, default=60, help="proposals per run")
    args = parser.parse_args(argv)
    go = functools.partial(record, args.algos, args.tasks, args.seeds, args.n)
    if args.record:
        args.record.parent.mkdir(parents=True, exist_ok=True)
        args.record.write_text(json.dumps(go()))
    else:
        sys.exit(1 if compare(json.loads(args.compare.read_text()), go()) else 0)


if __name__ == "__main__":
    main()
