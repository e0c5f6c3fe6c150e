"""How many proposals land in a failing region: the one-parameter half-failing space.

``x ~ uniform(0, 1)``; the fit fails for ``x > 0.5``, and scores ``1 - |x - 0.3|``
otherwise (issue 23). Each algorithm proposes 40 candidates (through
``hyperopt.fmin``, failures reported as ``STATUS_FAIL`` without a loss, as
HyperoptSearchCV reports them); the number of failed candidates among 21-40,
per seed, and its median over the seeds::

    python benchmarks/failure_aware.py            # gp, mtpe, hyperopt's tpe; 10 seeds

Writes ``benchmarks/results/failure_aware.{md,json}``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, hp, tpe  # noqa: E402

from hyperopt_search.algorithms import gp, mtpe  # noqa: E402

HERE = Path(__file__).resolve().parent
ALGOS = {"gp": gp.suggest, "mtpe": mtpe.suggest, "tpe (hyperopt)": tpe.suggest}


def objective(x: float) -> dict:
    if x > 0.5:
        return {"status": STATUS_FAIL}
    return {"status": STATUS_OK, "loss": -(1.0 - abs(x - 0.3))}


def failures(algo, seed: int, n: int = 40) -> tuple[int, float]:
    """Failed candidates among 21..n, and the best score found."""
    trials = Trials()
    fmin(
        objective,
        hp.uniform("x", 0, 1),
        algo=algo,
        max_evals=n,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    statuses = [t["result"]["status"] for t in trials.trials]
    losses = [t["result"]["loss"] for t in trials.trials if t["result"]["status"] == STATUS_OK]
    return sum(s == STATUS_FAIL for s in statuses[20:]), -min(losses)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    rows = []
    for name, algo in ALGOS.items():
        for seed in range(args.seeds):
            n_failed, best = failures(algo, seed)
            rows.append({"algo": name, "seed": seed, "failed_21_40": n_failed, "best": best})
            print(rows[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "failure_aware.json").write_text(json.dumps(rows, indent=1))
    given = sys.argv[1:] if argv is None else argv
    lines = [
        "# Proposals in a failing region",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        f"`{' '.join(['python benchmarks/failure_aware.py', *given])}` "
        f"(python {platform.python_version()}). `x ~ uniform(0, 1)`, every fit with "
        "`x > 0.5` fails, score `1 - |x - 0.3|` otherwise; 40 candidates. Failed "
        "candidates among 21-40 (of 20) per seed, their median, and the median best score "
        "(the optimum is 1).",
        "",
        "| algo | failed of 21-40, per seed | median | share | median best |",
        "|---|---|---|---|---|",
    ]
    for name in ALGOS:
        mine = [r for r in rows if r["algo"] == name]
        counts = [r["failed_21_40"] for r in mine]
        median = float(np.median(counts))
        lines.append(
            f"| {name} | {' '.join(map(str, counts))} | {median:g} | {median / 20:.0%} | "
            f"{np.median([r['best'] for r in mine]):.4f} |"
        )
    (args.out / "failure_aware.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
