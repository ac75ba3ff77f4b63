"""The public benchmark of the routing text model (``gridgov routing benchmark``).

Trains a fresh ``TextModel`` on labelled CSV files and measures it on another: accuracy,
macro-F1, top-3 accuracy, calibration (expected calibration error, Brier score) and the
latency of single-text predictions. A file's text is its ``text`` column or, when it has none,
its ``tokens`` column (space-joined words; ``normalise`` removes the spaces again).

The benchmark trains on what it is given. It does count the training rows that are (near)
copies of a test message (``train_rows_matching_test``), because a figure measured with such
rows in the training set is not a figure on unseen text; ``near_copies`` is the detector the
cross-validation bench uses to leave them out.
"""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import accuracy_score, f1_score

from gridgov.kit.errors import InvalidInput
from gridgov.routing.textmodel import TextModel, TextModelConfig, feature_count, normalise

# A training row whose within-word character bigrams are at least this much contained in a test
# message is the same message (the segmented copy of a raw message scores ≥ 0.95; unrelated
# messages of the same topic stay below 0.6, see bench/bench_routing.py).
NEAR_COPY_CONTAINMENT = 0.7


@dataclass(frozen=True)
class LabelledFile:
    path: Path
    texts: list[str]
    labels: list[str]
    text_column: str


def read_labelled(path: Path | str, label_column: str = "label") -> LabelledFile:
    """Texts and labels of one CSV file; rows without a label or any text are skipped."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"文件不存在：{path}", code="file_not_found")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            if not columns:
                raise InvalidInput(f"文件为空：{path}", code="empty_file")
            if label_column not in columns:
                raise InvalidInput(
                    f"{path} 没有标签列 {label_column}（现有列：{', '.join(columns)}）",
                    code="missing_label_column",
                )
            if "text" in columns:
                text_column = "text"
            elif "tokens" in columns:
                text_column = "tokens"
            else:
                raise InvalidInput(f"{path} 既没有 text 列也没有 tokens 列", code="missing_text")
            texts: list[str] = []
            labels: list[str] = []
            for row in reader:
                label = (row.get(label_column) or "").strip()
                text = (row.get(text_column) or "").strip()
                if label and text:
                    texts.append(text)
                    labels.append(label)
    except UnicodeDecodeError as error:
        raise InvalidInput(f"{path} 不是 UTF-8 编码的 CSV", code="bad_encoding") from error
    except csv.Error as error:
        raise InvalidInput(f"{path} 不是有效的 CSV：{error}", code="bad_csv") from error
    if not texts:
        raise InvalidInput(f"{path} 没有带标签和文本的行", code="empty_file")
    return LabelledFile(path, texts, labels, text_column)


def _word_bigrams(text: str) -> list[str]:
    """Character bigrams inside each whitespace-separated word (the whole text if no spaces).

    Within words only, so the token string of a message (stop words removed) and its raw text
    share nearly all of them.
    """
    grams: list[str] = []
    for word in text.split():
        word = normalise(word)
        grams.extend(word[i : i + 2] for i in range(len(word) - 1))
    return grams


def containment(train_texts: Sequence[str], test_texts: Sequence[str]) -> sparse.csr_matrix:
    """Share of each training text's within-word bigrams found in each test text (sparse)."""
    vectorizer = CountVectorizer(analyzer=_word_bigrams, binary=True, dtype=np.float32)
    vectorizer.fit(list(train_texts) + list(test_texts))
    train = vectorizer.transform(train_texts)
    test = vectorizer.transform(test_texts)
    sizes = np.asarray(train.sum(axis=1)).ravel()
    inverse = sparse.diags(1.0 / np.maximum(sizes, 1.0))
    return sparse.csr_matrix(inverse @ (train @ test.T))


def near_copies(train_texts: Sequence[str], test_texts: Sequence[str]) -> np.ndarray:
    """For each training text, the highest share of its bigrams found in one test text.

    At or above ``NEAR_COPY_CONTAINMENT`` the training text is a copy of a test message.
    """
    if not train_texts or not test_texts:
        return np.zeros(len(train_texts))
    best = np.asarray(containment(train_texts, test_texts).max(axis=1).todense()).ravel()
    # A training text without any bigram matches only an identical normalised test text.
    test_keys = {normalise(t) for t in test_texts}
    for i in np.flatnonzero([len(_word_bigrams(t)) == 0 for t in train_texts]):
        best[i] = 1.0 if normalise(train_texts[int(i)]) in test_keys else 0.0
    return best


def score(
    model: TextModel, texts: Sequence[str], labels: Sequence[str], *, latency: bool = True
) -> dict[str, Any]:
    """Quality, calibration and latency of a fitted model on labelled texts."""
    ranked = model.predict_proba(texts)
    predicted = [row[0][0] for row in ranked]
    top3 = [
        label in {name for name, _ in row[:3]} for row, label in zip(ranked, labels, strict=True)
    ]
    confidence = np.array([row[0][1] for row in ranked])
    correct = np.array([p == t for p, t in zip(predicted, labels, strict=True)], dtype=float)
    # Expected calibration error over ten equal-width confidence bins.
    bins = np.minimum((confidence * 10).astype(int), 9)
    ece = sum(
        abs(correct[bins == b].mean() - confidence[bins == b].mean()) * np.mean(bins == b)
        for b in range(10)
        if np.any(bins == b)
    )
    # Multi-class Brier score: mean squared distance of the probability vector to the truth.
    brier = float(
        np.mean(
            [
                sum((p - (1.0 if name == label else 0.0)) ** 2 for name, p in row)
                for row, label in zip(ranked, labels, strict=True)
            ]
        )
    )
    result: dict[str, Any] = {
        "accuracy": round(float(accuracy_score(labels, predicted)), 4),
        "macro_f1": round(float(f1_score(labels, predicted, average="macro")), 4),
        "top3_accuracy": round(float(np.mean(top3)), 4),
        "ece": round(float(ece), 4),
        "brier": round(brier, 4),
    }
    if latency:
        timings = []
        for text in texts:
            start = time.perf_counter()
            model.top(text, k=3)
            timings.append((time.perf_counter() - start) * 1000.0)
        result["p50_ms"] = round(float(np.percentile(timings, 50)), 3)
        result["p99_ms"] = round(float(np.percentile(timings, 99)), 3)
    labels_sorted = sorted(set(labels))
    per_label = f1_score(labels, predicted, labels=labels_sorted, average=None)
    result["f1_per_label"] = {
        name: round(float(value), 4) for name, value in zip(labels_sorted, per_label, strict=True)
    }
    return result


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_benchmark(
    train_paths: Sequence[Path | str],
    test_path: Path | str,
    label_column: str = "label",
    *,
    config: TextModelConfig | None = None,
    progress: Callable[[str], None] = _stderr,
) -> dict[str, Any]:
    """Train a fresh model on the train files, measure it on the test file; a JSON-ready dict."""
    if not train_paths:
        raise InvalidInput("至少需要一个训练文件（--train）", code="no_train_file")
    train_files = [read_labelled(path, label_column) for path in train_paths]
    test = read_labelled(test_path, label_column)
    texts = [text for f in train_files for text in f.texts]
    labels = [label for f in train_files for label in f.labels]
    if len(set(labels)) < 2:
        raise InvalidInput("训练文件至少需要两个不同的标签", code="too_few_labels")
    progress(f"training on {len(texts)} rows from {len(train_files)} file(s) …")
    start = time.perf_counter()
    model = TextModel(config).fit(texts, labels)
    fit_seconds = time.perf_counter() - start
    progress(f"trained in {fit_seconds:.1f} s; measuring on {len(test.texts)} rows …")
    result: dict[str, Any] = score(model, test.texts, test.labels)
    unknown = sorted(set(test.labels) - set(model.labels))
    overlap = int(np.sum(near_copies(texts, test.texts) >= NEAR_COPY_CONTAINMENT))
    ordered = {
        key: result.pop(key)
        for key in ("accuracy", "macro_f1", "top3_accuracy", "p50_ms", "p99_ms")
    }
    return {
        **ordered,
        "n_train": len(texts),
        "n_test": len(test.texts),
        **result,
        "fit_seconds": round(fit_seconds, 2),
        "labels": model.labels,
        "test_labels_unknown_to_model": unknown,
        "train_rows_matching_test": overlap,
        "train_files": [
            {"path": str(f.path), "rows": len(f.texts), "text_column": f.text_column}
            for f in train_files
        ],
        "test_file": {"path": str(test.path), "text_column": test.text_column},
        "model": {
            **model.params,
            "features": feature_count(model),
            "stored_bytes": len(model.dumps()),
        },
    }
