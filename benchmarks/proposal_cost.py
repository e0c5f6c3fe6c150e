"""Milliseconds per proposal of each algorithm, by the number of trials so far.

The optimiser alone, without any fit, on the overhead benchmark's
five-parameter space with a smooth loss.

- ``gp`` is timed as in a search: its proposals after ``n``, ``n + 1``, ...
  finished trials (a window of ``max(10, n / 20)`` proposals: one refit
  period, since from 100 trials on the GP refits its kernel as the trials grow
  by 5%), each evaluated and finished before the next ask, after as many
  proposals before the window (the kernel memory warm). Median, max and mean
  over the window: the mean includes the refits.
- The others: a history of ``n`` random finished trials is built once per
  size (each algorithm asked once before the last trial is added), then each
  is asked for one proposal ``--repeats`` times with different seeds.
- ``gp (same trials)`` reuses the fit of the same finished trials, as the
  later proposals of a round do.
- ``gp (conditional)``: the GP on :data:`CONDITIONAL_SPACE` (three branches,
  one GP each), timed as ``gp`` is (what ``algo="gp"`` costs there;
  ``"auto"`` proposes with multivariate TPE for a conditional space's first
  50 candidates).

This is the number that decides whether a Gaussian-process proposal is worth
its cost next to the fits it saves (see ``algo="auto"``).

::

    python benchmarks/proposal_cost.py            # 50, 100, 200, 400 trials
    python benchmarks/proposal_cost.py --sizes 50 100 --repeats 5

Writes ``benchmarks/results/proposal_cost.{md,json}``.
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
from hyperopt import STATUS_OK, Trials, rand  # noqa: E402
from hyperopt.base import JOB_STATE_DONE, Domain  # noqa: E402
from scipy.stats import loguniform, randint, uniform  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from overhead import SPACE  # noqa: E402
from spaces import to_scipy  # noqa: E402

from hyperopt_search import to_hyperopt_space  # noqa: E402
from hyperopt_search._optimizer import resolve_algo  # noqa: E402


def _history(domain: Domain, n: int, seed: int, before_last=None) -> Trials:
    """``n`` finished random trials; ``before_last(trials)`` is called before the last."""
    trials = Trials()
    rng = np.random.default_rng(seed)
    for i in range(n):
        if i == n - 1 and before_last is not None:
            before_last(trials)
        (tid,) = trials.new_trial_ids(1)
        (doc,) = rand.suggest([tid], domain, trials, int(rng.integers(2**31 - 1)))
        doc["state"] = JOB_STATE_DONE
        doc["result"] = {"status": STATUS_OK, "loss": _loss(doc["misc"]["vals"], rng)}
        trials.insert_trial_docs([doc])
        trials.refresh()
    return trials


def _loss(vals: dict, rng: np.random.Generator) -> float:
    return sum((float(v[0]) - 0.3) ** 2 for v in vals.values() if v) + 0.01 * rng.normal()


def _gp_in_a_search(algo, domain: Domain, n: int, window: int | None) -> list[float]:
    """Seconds of the GP's proposals after ``n``, ``n + 1``, ... ``n + window - 1``
    finished trials, as in a search: each proposal is evaluated (the smooth loss)
    and finished before the next ask, and the GP's kernel memory carries over
    from ``window`` proposals before (its refits, every proposal below 100
    trials and as the trials grow by 5% from there, fall where they would)."""
    window = window or max(10, n // 20)
    trials = _history(domain, n - window, seed=n)
    rng = np.random.default_rng(n)
    times = []
    for i in range(2 * window):
        (tid,) = trials.new_trial_ids(1)
        start = time.perf_counter()
        (doc,) = algo([tid], domain, trials, i)
        if i >= window:
            times.append(time.perf_counter() - start)
        doc["state"] = JOB_STATE_DONE
        doc["result"] = {"status": STATUS_OK, "loss": _loss(doc["misc"]["vals"], rng)}
        trials.insert_trial_docs([doc])
        trials.refresh()
    return times


#: A conditional space (a list of three dicts, as for choosing between models):
#: the GP models each branch apart (``gp (conditional)``).
CONDITIONAL_SPACE = [
    {"model": ["a"], "a1": loguniform(1e-2, 1e2), "a2": uniform(0, 1)},
    {"model": ["b"], "b1": uniform(0, 1), "b2": ["x", "y", "z"], "b3": randint(1, 21)},
    {"model": ["c"], "c1": loguniform(0.05, 20)},
]


#: ``gp (conditional)`` is timed up to this many trials (``"auto"`` hands over
#: to multivariate TPE there; before the per-branch MAP estimate, a proposal
#: with 1,000 trials took tens of seconds).
CONDITIONAL_MAX_TRIALS = 200


def measure(sizes: list[int], repeats: int, window: int | None) -> list[dict]:
    space = to_hyperopt_space(to_scipy(SPACE))
    conditional = Domain(lambda _: 0.0, to_hyperopt_space(CONDITIONAL_SPACE).expr)
    algos = {
        "gp": resolve_algo("gp", 10),
        "mtpe": resolve_algo("mtpe", 10),
        "tpe": resolve_algo("tpe", 10, 0.5),
        "rand": resolve_algo("rand", None),
    }
    algos["gp (same trials)"] = algos["gp"]
    algos["gp (conditional)"] = algos["gp"]
    rows = []
    for n in sizes:
        domain = Domain(lambda _: 0.0, space.expr)

        def propose_once(trials: Trials, domain: Domain = domain) -> None:
            # As in a search: each algorithm has proposed with n - 1 trials
            # (the GP keeps its kernel parameters in trials.attachments to
            # start the next fit from them).
            for algo in dict.fromkeys(algos.values()):
                algo([trials.new_trial_ids(1)[0]], domain, trials, 0)

        trials = _history(domain, n, seed=n, before_last=propose_once)
        for name, algo in algos.items():
            if name == "gp":
                times = _gp_in_a_search(algo, domain, n, window)
            elif name == "gp (conditional)":
                if n > CONDITIONAL_MAX_TRIALS:
                    continue
                times = _gp_in_a_search(algo, conditional, n, window)
            else:
                algo([trials.new_trial_ids(1)[0]], domain, trials, 0)  # warm caches
                times = []
                for seed in range(repeats):
                    (tid,) = trials.new_trial_ids(1)
                    start = time.perf_counter()
                    algo([tid], domain, trials, seed)
                    times.append(time.perf_counter() - start)
            rows.append(
                {
                    "algo": name,
                    "trials": n,
                    "median_ms": 1000 * float(np.median(times)),
                    "mean_ms": 1000 * float(np.mean(times)),
                    "max_ms": 1000 * float(np.max(times)),
                }
            )
            print(rows[-1], flush=True)
    return rows


def write(rows: list[dict], out: Path, command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "proposal_cost.json").write_text(json.dumps(rows, indent=1))
    sizes = sorted({r["trials"] for r in rows})
    algos = list(dict.fromkeys(r["algo"] for r in rows))
    by = {(r["algo"], r["trials"]): r for r in rows}
    lines = [
        "# Milliseconds per proposal",
        "",
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `{command}` "
        f"(python {platform.python_version()}, one thread). Five parameters (a log-scaled "
        "float, two floats, a 4-way choice, an integer); median [max] over the repeats of "
        "one proposal after `n` finished trials. `gp` is the GP as in a search: its "
        "proposals after `n`, `n + 1`, ... finished trials (max(10, n / 20) of them, "
        "each finished before the next ask, after as many proposals before them), median "
        "[max] and, below, the mean (its kernel refits included: at every proposal "
        "below 100 trials, as the trials grow by 5% from there); `gp (same trials)` "
        "reuses the fit of the same finished trials, as the later proposals of a round do.",
        "",
        "| algo | " + " | ".join(f"{n} trials" for n in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for algo in algos:
        cells = [
            f"{by[algo, n]['median_ms']:.1f} [{by[algo, n]['max_ms']:.1f}]"
            if (algo, n) in by
            else "-"
            for n in sizes
        ]
        lines.append(f"| {algo} | " + " | ".join(cells) + " |")
        if algo.startswith("gp") and algo != "gp (same trials)":
            means = [f"{by[algo, n]['mean_ms']:.1f}" if (algo, n) in by else "-" for n in sizes]
            lines.append(f"| {algo}, mean | " + " | ".join(means) + " |")
    (out / "proposal_cost.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 400])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument(
        "--window", type=int, default=None, help="GP proposals timed per size (max(10, n / 20))"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    write(
        measure(args.sizes, args.repeats, args.window),
        args.out,
        " ".join(["python benchmarks/proposal_cost.py", *given]),
    )


if __name__ == "__main__":
    main()
