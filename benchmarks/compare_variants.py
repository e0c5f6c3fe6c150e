"""Regret ratios of variant runs next to the stored runs of the same seeds.

A variant is a HyperoptSearchCV run with a patched proposal engine, written by
``quality.py --methods HyperoptSearchCV --out DIR`` from a patched checkout.
Its runs are renamed ``HyperoptSearchCV(<name>)`` and compared on one suite
with every method of ``results/quality_runs.jsonl`` (regret ratio against
RandomizedSearchCV, geometric mean with report.py's floor) on the tasks,
budgets and seeds the variants ran::

    python benchmarks/compare_variants.py tuning \\
        copula=benchmarks/results/gp_variants/copula.jsonl
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", choices=("tuning", "report"))
    parser.add_argument("variants", nargs="+", help="NAME=PATH of a quality_runs.jsonl")
    parser.add_argument("--stored", type=Path, default=HERE / "results" / "quality_runs.jsonl")
    args = parser.parse_args(argv)

    stored = [r for r in report.load(args.stored) if r["suite"] == args.suite]
    # The same tasks, budgets and seeds as the stored default runs, only.
    seeds = {
        (r["task"], r["budget"], r["seed"]) for r in stored if r["method"] == "HyperoptSearchCV"
    }
    names, variants = [], []
    for spec in args.variants:
        name, path = spec.split("=", 1)
        names.append(f"HyperoptSearchCV({name})")
        variants += [
            {**r, "method": names[-1]}
            for r in report.load(Path(path))
            if (r["task"], r["budget"], r["seed"]) in seeds
        ]
    tasks = {r["task"] for r in variants}
    records = [r for r in stored if r["task"] in tasks] + variants
    best = report.best_known(records)
    ratios = report.regret_ratios(report.summarize(records, best))
    means = report.geomeans(ratios, args.suite)
    methods = ["HyperoptSearchCV", *names]
    budgets = sorted({b for (m, b) in means if m in names})
    tasks = sorted(tasks)
    print("| method | " + " | ".join(f"{b} candidates" for b in budgets) + " |")
    print("|---" * (len(budgets) + 1) + "|")
    for method in methods:
        cells = [f"{means[(method, b)][0]:.2f}" if (method, b) in means else "" for b in budgets]
        print(f"| {method} | " + " | ".join(cells) + " |")
    for budget in budgets:
        print(f"\nPer task at {budget} candidates:\n")
        print("| task | " + " | ".join(methods) + " |")
        print("|---" * (len(methods) + 1) + "|")
        for task in tasks:
            cells = [f"{ratios[(task, m, budget)]:.2f}" if (task, m, budget) in ratios else ""
                     for m in methods]  # fmt: skip
            print(f"| {task} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
