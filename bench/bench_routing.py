"""The routing text model on unseen citizen messages: cross-validation and the CLI path.

Data: the labelled TipDM 2020 "群众留言" messages in `../shared/data/complaints/` (see its
SOURCE.md; read in place, never copied): `labeled_messages_raw.csv` (3007 real texts) and
`labeled_messages_segmented.csv` (7377 rows of jieba tokens, stop words removed, the full-size
set). Quality is measured on raw messages only, by stratified k-fold cross-validation with
several seeds (folds are drawn per group of near-identical raw messages, so a message and its
re-post never sit on both sides).

Leakage: the two files hold the SAME messages (a segmented row is a raw message minus stop
words and punctuation). Before each fold the segmented rows that are copies of a test-fold raw
message are removed from the training set: a segmented row is a copy when at least 70 % of its
within-word character bigrams occur in that message (copies score ≥ 0.95, unrelated messages
below ~0.6: the distribution is printed). What remains is honest "unseen" training data.

Models, each trained on every fold's training rows:
- final: `TextModel` (char 1–4-grams + jieba words; the mean of a calibrated linear SVM and a
  calibrated NB-SVM) on raw + non-leaking segmented rows;
- raw-only: the same model on the raw training rows only;
- svm-only (with --svm-only): the calibrated linear SVM alone, on the same rows as final;
- baseline: plain char 1–3-gram TF-IDF + logistic regression (one-vs-rest) on raw +
  segmented rows.

Then the CLI path once: fold 1 of the first seed written to temporary CSVs (raw rows with their
`text` column, segmented rows with only `tokens`) and `gridgov routing benchmark` run on them.

    python bench/bench_routing.py [--folds 5] [--seeds 1 2] [--skip-raw-only] [--svm-only]
                                  [--skip-cli] [--data DIR]

Every extra model is also compared with final fold by fold (the same training rows and test
messages): the mean ± sd of the paired macro-F1 difference and on how many folds final wins.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline

from gridgov.routing.benchmark import (
    NEAR_COPY_CONTAINMENT,
    containment,
    read_labelled,
    run_benchmark,
    score,
)
from gridgov.routing.textmodel import TextModel, TextModelConfig, normalise

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(
    os.environ.get(
        "GRIDGOV_SHARED_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data")
    )
)
RAW = "labeled_messages_raw.csv"
SEGMENTED = "labeled_messages_segmented.csv"
# Two raw messages this similar (bigram containment, the same test as for segmented rows) are
# one group in the folds, so a message and its re-post never sit on both sides.
SAME_MESSAGE = NEAR_COPY_CONTAINMENT
METRICS = ("macro_f1", "accuracy", "top3_accuracy", "ece", "brier", "p50_ms", "p99_ms")
TARGETS = {"macro_f1": 0.93, "top3_accuracy": 0.99, "p50_ms": 5.0}


class Baseline:
    """Plain char n-gram TF-IDF + logistic regression, with the same scoring interface."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        self.pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3), preprocessor=normalise),
            OneVsRestClassifier(LogisticRegression(C=10.0, solver="liblinear")),
        )
        self.pipeline.fit(list(texts), list(labels))
        self.labels = [str(c) for c in self.pipeline.classes_]

    def predict_proba(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        matrix = self.pipeline.predict_proba(list(texts))
        return [
            sorted(zip(self.labels, map(float, row), strict=True), key=lambda p: -p[1])
            for row in matrix
        ]

    def top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        return self.predict_proba([text])[0][:k]


def groups_of(texts: Sequence[str]) -> np.ndarray:
    """Union-find over raw messages that are near copies of each other."""
    parent = list(range(len(texts)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    similar = containment(texts, texts).tocoo()
    for i, j, share in zip(similar.row, similar.col, similar.data, strict=True):
        if i != j and share >= SAME_MESSAGE:
            parent[find(int(i))] = find(int(j))
    return np.array([find(i) for i in range(len(texts))])


def summary(rows: list[dict[str, Any]]) -> dict[str, str]:
    out = {}
    for key in METRICS:
        values = [r[key] for r in rows if key in r]
        if values:
            spread = statistics.pstdev(values) if len(values) > 1 else 0.0
            out[key] = f"{statistics.mean(values):.4f}±{spread:.4f}"
    return out


def mean(rows: list[dict[str, Any]], key: str) -> float:
    return float(statistics.mean(r[key] for r in rows))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def cli_benchmark(train: list[Path], test: Path) -> dict[str, Any]:
    """`gridgov routing benchmark` as a user runs it (the installed script), else in-process."""
    script = shutil.which("gridgov") or str(Path(sys.executable).with_name("gridgov"))
    if Path(script).exists():
        command = [script, "routing", "benchmark", *(a for p in train for a in ("--train", str(p)))]
        command += ["--test", str(test)]
        print("$ " + " ".join(command), flush=True)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"gridgov routing benchmark failed: {done.stderr}")
        result: dict[str, Any] = json.loads(done.stdout)
        return result
    print("(no gridgov script found: calling run_benchmark in-process)", flush=True)
    return run_benchmark(train, test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA / "complaints")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--skip-raw-only", action="store_true", help="skip the raw-only model")
    parser.add_argument("--skip-cli", action="store_true", help="skip the CLI run")
    parser.add_argument(
        "--svm-only", action="store_true", help="also measure the calibrated SVM alone"
    )
    args = parser.parse_args()
    if not (args.data / RAW).is_file() or not (args.data / SEGMENTED).is_file():
        print(f"SKIP: the public complaints data is not at {args.data} (set GRIDGOV_SHARED_DATA)")
        return

    raw = read_labelled(args.data / RAW)
    segmented = read_labelled(args.data / SEGMENTED)
    raw_labels = np.array(raw.labels)
    print(f"raw messages {len(raw.texts)}, segmented rows {len(segmented.texts)}", flush=True)

    start = time.perf_counter()
    copies = containment(segmented.texts, raw.texts)
    best = np.asarray(copies.max(axis=1).todense()).ravel()
    groups = groups_of(raw.texts)
    histogram, edges = np.histogram(best, bins=np.arange(0.0, 1.01, 0.1))
    print(
        f"leakage check ({time.perf_counter() - start:.1f} s): each segmented row's best bigram "
        "containment in a raw message, by decile: "
        + ", ".join(f"{edges[i]:.1f}–{edges[i + 1]:.1f}: {n}" for i, n in enumerate(histogram))
    )
    print(
        f"{int(np.sum(best >= NEAR_COPY_CONTAINMENT))} segmented rows are copies of a raw message "
        f"(≥ {NEAR_COPY_CONTAINMENT}); each fold drops the ones whose message is in its test "
        f"part. {len(set(groups))} groups of near-identical raw messages (≥ {SAME_MESSAGE}).",
        flush=True,
    )

    config = TextModelConfig()
    builders: dict[str, Callable[[list[str], list[str]], Any]] = {
        "final": lambda x, y: TextModel(config).fit(x, y),
        "baseline": lambda x, y: Baseline(x, y),
    }
    if not args.skip_raw_only:
        builders["raw-only"] = lambda x, y: TextModel(config).fit(x, y)
    if args.svm_only:
        svm_only = replace(config, classifier="svm")
        builders["svm-only"] = lambda x, y: TextModel(svm_only).fit(x, y)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in builders}
    first_fold: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for seed in args.seeds:
        splitter = StratifiedGroupKFold(n_splits=args.folds, shuffle=True, random_state=seed)
        for fold, (train, test) in enumerate(splitter.split(raw.texts, raw_labels, groups)):
            leaking = np.asarray(copies[:, test].max(axis=1).todense()).ravel()
            keep = np.flatnonzero(leaking < NEAR_COPY_CONTAINMENT)
            first_fold = first_fold or (train, test, keep)
            test_texts = [raw.texts[i] for i in test]
            test_labels = [raw.labels[i] for i in test]
            raw_x = [raw.texts[i] for i in train]
            raw_y = [raw.labels[i] for i in train]
            mixed_x = raw_x + [segmented.texts[i] for i in keep]
            mixed_y = raw_y + [segmented.labels[i] for i in keep]
            for name, build in builders.items():
                x, y = (raw_x, raw_y) if name == "raw-only" else (mixed_x, mixed_y)
                started = time.perf_counter()
                model = build(x, y)
                fit_seconds = time.perf_counter() - started
                row = score(model, test_texts, test_labels)
                row["fit_seconds"] = fit_seconds
                results[name].append(row)
                print(
                    f"seed {seed} fold {fold + 1} {name:9s} train {len(x):5d} "
                    f"(dropped {len(segmented.texts) - len(keep)} leaking segmented) "
                    f"test {len(test)}: macro-F1 {row['macro_f1']:.4f} acc {row['accuracy']:.4f} "
                    f"top3 {row['top3_accuracy']:.4f} ECE {row['ece']:.4f} "
                    f"p50 {row['p50_ms']:.2f} ms p99 {row['p99_ms']:.2f} ms "
                    f"fit {fit_seconds:.0f} s",
                    flush=True,
                )

    print("\nmean±std over folds and seeds (unseen raw messages):")
    for name, rows in results.items():
        print(f"  {name:9s} " + "  ".join(f"{k} {v}" for k, v in summary(rows).items()))
    final, base = results["final"], results["baseline"]
    print("\npaired macro-F1 difference, final − other, fold by fold (same rows, same test):")
    for name, rows in results.items():
        if name == "final":
            continue
        deltas = [f["macro_f1"] - o["macro_f1"] for f, o in zip(final, rows, strict=True)]
        spread = statistics.pstdev(deltas) if len(deltas) > 1 else 0.0
        print(
            f"  final − {name:9s} {statistics.mean(deltas):+.4f}±{spread:.4f} "
            f"(final better on {sum(d > 0 for d in deltas)} of {len(deltas)} folds, "
            f"worse on {sum(d < 0 for d in deltas)}; range {min(deltas):+.4f}…{max(deltas):+.4f})"
        )
    print(
        f"  final / baseline: macro-F1 ×{mean(final, 'macro_f1') / mean(base, 'macro_f1'):.3f}, "
        f"accuracy ×{mean(final, 'accuracy') / mean(base, 'accuracy'):.3f}, "
        f"top-3 ×{mean(final, 'top3_accuracy') / mean(base, 'top3_accuracy'):.3f}, "
        f"errors ×{(1 - mean(final, 'accuracy')) / (1 - mean(base, 'accuracy')):.3f}"
    )
    for key, target in TARGETS.items():
        value = mean(final, key)
        met = value < target if key.endswith("_ms") else value >= target
        print(
            f"  target {key} {'<' if key.endswith('_ms') else '≥'} {target}: "
            f"{value:.4f} {'met' if met else 'NOT met'}"
        )

    if args.skip_cli or first_fold is None:
        return
    train, test, keep = first_fold
    with tempfile.TemporaryDirectory() as folder:
        raw_train, seg_train, test_file = (
            Path(folder) / "raw_train.csv",
            Path(folder) / "segmented_train.csv",
            Path(folder) / "raw_test.csv",
        )
        write_csv(raw_train, ["text", "label"], [[raw.texts[i], raw.labels[i]] for i in train])
        write_csv(
            seg_train,
            ["tokens", "label"],
            [[segmented.texts[i], segmented.labels[i]] for i in keep],
        )
        write_csv(test_file, ["text", "label"], [[raw.texts[i], raw.labels[i]] for i in test])
        print(f"\nCLI on fold 1 of seed {args.seeds[0]} (segmented file: tokens column only):")
        result = cli_benchmark([raw_train, seg_train], test_file)
    result.pop("model", None)
    result.pop("train_files", None)
    result.pop("test_file", None)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
