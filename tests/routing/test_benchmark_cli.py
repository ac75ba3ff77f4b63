"""`gridgov routing benchmark` on small temporary CSV files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridgov.cli import app
from gridgov.kit.errors import InvalidInput
from gridgov.routing.benchmark import read_labelled, run_benchmark
from tests.routing.test_textmodel import synthetic

REQUIRED = {"accuracy", "macro_f1", "top3_accuracy", "n_train", "n_test", "p50_ms", "p99_ms"}


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    train_texts, train_labels = synthetic(12, seed=11)
    tokens_texts, tokens_labels = synthetic(6, seed=12)
    test_texts, test_labels = synthetic(4, seed=13)
    return {
        "text": write(
            tmp_path / "train.csv",
            ["id", "text", "label"],
            [
                [str(i), t, y]
                for i, (t, y) in enumerate(zip(train_texts, train_labels, strict=True))
            ],
        ),
        # Only a tokens column (space-joined words, like the public segmented file).
        "tokens": write(
            tmp_path / "tokens.csv",
            ["row_index", "tokens", "label"],
            [
                [str(i), " ".join(t.replace("，", " ")), y]
                for i, (t, y) in enumerate(zip(tokens_texts, tokens_labels, strict=True))
            ],
        ),
        "test": write(
            tmp_path / "test.csv",
            ["text", "category"],
            [[t, y] for t, y in zip(test_texts, test_labels, strict=True)],
        ),
        "no_text": write(tmp_path / "no_text.csv", ["body", "label"], [["路灯坏了", "城乡建设"]]),
        "empty": write(tmp_path / "empty.csv", ["text", "label"], []),
    }


def test_cli_prints_one_json_object(files: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        app,
        [
            "routing", "benchmark",
            "--train", str(files["text"]),
            "--train", str(files["tokens"]),
            "--test", str(files["test"]),
            "--label-column", "category",
        ],
    )  # fmt: skip
    # The train files have `label`, not `category`: a clear error, exit 2.
    assert result.exit_code == 2
    assert "missing_label_column" in result.stderr and "category" in result.stderr
    assert result.stdout == ""

    with files["test"].open(encoding="utf-8") as handle:
        renamed = handle.read().replace("text,category", "text,label", 1)
    files["test"].write_text(renamed, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            "routing", "benchmark",
            "--train", str(files["text"]),
            "--train", str(files["tokens"]),
            "--test", str(files["test"]),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)  # the whole of stdout is one JSON object
    assert body.keys() >= REQUIRED
    assert body["n_train"] == 48 + 24 and body["n_test"] == 16
    assert 0.75 <= body["accuracy"] <= 1.0 and 0.75 <= body["macro_f1"] <= 1.0
    assert body["top3_accuracy"] >= body["accuracy"]
    assert 0 < body["p50_ms"] <= body["p99_ms"] < 1000
    assert [f["text_column"] for f in body["train_files"]] == ["text", "tokens"]
    assert "training on 72 rows" in result.stderr


def test_clear_errors(files: dict[str, Path], tmp_path: Path) -> None:
    cases = {
        "missing_label_column": (files["text"], "category"),
        "missing_text": (files["no_text"], "label"),
        "empty_file": (files["empty"], "label"),
        "file_not_found": (tmp_path / "nowhere.csv", "label"),
    }
    for code, (path, column) in cases.items():
        with pytest.raises(InvalidInput) as caught:
            read_labelled(path, column)
        assert caught.value.code == code
    with pytest.raises(InvalidInput) as caught:
        run_benchmark([files["text"]], files["no_text"])
    assert caught.value.code == "missing_text"
    missing = CliRunner().invoke(
        app,
        ["routing", "benchmark", "--train", str(tmp_path / "x.csv"), "--test", str(files["test"])],
    )
    assert missing.exit_code == 2 and "file_not_found" in missing.stderr
