"""Regret ratios of variant runs next to the stored runs of the same seeds.

A variant is a HyperoptSearchCV run with a patched proposal engine, written by
``quality.py --methods HyperoptSearchCV --out DIR`` from a patched checkout.
Its runs are renamed ``HyperoptSearchCV(<name>)`` and compared on one suite
with every method of ``results/quality_runs.jsonl`` (regret ratio against
RandomizedSearchCV, geometric mean with report.py's floor) on the tasks,
budgets and seeds the variants ran::

    python benchmarks/compare_variants.py tuning \\
        copula=benchmarks/results/gp_variants/copula.jsonl

A second table pairs each variant with the default on the same task, budget
and seed (wins / ties / losses in best CV score, the mean difference and a
Wilcoxon signed-rank p-value), over every seed both ran: ``--baseline`` adds
default runs on more seeds than the stored ones (their regret ratios need
RandomizedSearchCV on the same seeds, so only the paired table uses them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import report  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", choices=("tuning", "report"))
    parser.add_argument("variants", nargs="+", help="NAME=PATH of a quality_runs.jsonl")
    parser.add_argument("--stored", type=Path, default=HERE / "results" / "quality_runs.jsonl")
    parser.add_argument(
        "--baseline",
        type=Path,
        action="append",
        default=[],
        help="more runs of the default (method HyperoptSearchCV) for the paired table",
    )
    parser.add_argument(
        "--default-method",
        default="HyperoptSearchCV",
        help="the method name of the default's runs in --stored and --baseline "
        "(e.g. a variant run with quality.py --set)",
    )
    args = parser.parse_args(argv)

    def as_default(r: dict) -> dict:
        return {**r, "method": "HyperoptSearchCV"} if r["method"] == args.default_method else r

    stored = [as_default(r) for r in report.load(args.stored) if r["suite"] == args.suite]
    # The same tasks, budgets and seeds as the stored default runs, only.
    seeds = {
        (r["task"], r["budget"], r["seed"]) for r in stored if r["method"] == "HyperoptSearchCV"
    }
    names, variants, paired = [], [], {}
    default = {
        (r["task"], r["budget"], r["seed"]): r["best_cv"]
        for r in stored + [as_default(r) for path in args.baseline for r in report.load(path)]
        if r["method"] == "HyperoptSearchCV" and r["suite"] == args.suite
    }
    for spec in args.variants:
        name, path = spec.rsplit("=", 1)
        names.append(f"HyperoptSearchCV({name})")
        runs = [r for r in report.load(Path(path)) if r["suite"] == args.suite]
        variants += [
            {**r, "method": names[-1]}
            for r in runs
            if (r["task"], r["budget"], r["seed"]) in seeds
        ]
        for r in runs:
            key = (r["task"], r["budget"], r["seed"])
            if key in default:
                paired.setdefault((names[-1], r["budget"]), []).append(r["best_cv"] - default[key])
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
    print("\nPaired with the default (same task, budget and seed; every seed both ran):\n")
    print("| variant | budget | pairs | wins / ties / losses | mean best-CV gain | Wilcoxon p |")
    print("|---|---|---|---|---|---|")
    for (name, budget), diffs in sorted(paired.items()):
        row = report._paired_row(name, "HyperoptSearchCV", budget, np.array(diffs), report.TIE)
        print(report._paired_line(name, row))


if __name__ == "__main__":
    main()
