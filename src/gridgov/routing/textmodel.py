"""The routing text model: the free text of a case (title + description) → a label.

Pure scikit-learn on the CPU, no database and no downloads (jieba ships its dictionary in its
wheel). One model predicts one label set: the lead trains one for categories and one for
departments.

- Features: character 1–4-grams of the normalised text (robust to the place names, typos and
  the run-together text of citizen messages) plus jieba words (the phrases that
  carry the topic), both TF-IDF with sublinear term frequency.
- Classifier: the average of two calibrated linear models on the same features: a linear SVM
  and an NB-SVM (``NBLinearSVC``: one-vs-rest SVMs on the features scaled by each label's
  naive-Bayes log-count ratio, Wang & Manning 2012). Each one's scores are turned into
  probabilities by sigmoid calibration on cross-validated scores
  (``CalibratedClassifierCV(ensemble=False)``: one model per member in the stored pipeline, not
  one per fold, which keeps the bytes and the prediction time small); the two probability
  vectors are averaged (``ProbabilityAverage``). The two make different mistakes: the average
  beats either alone on unseen messages (bench/bench_routing.py). When a label has too few
  examples for that cross-validation the model falls back to a logistic regression, whose
  probabilities are native.
- The fitted linear weights are stored as float32 (the features are float32 already): they are
  most of the model's bytes, and no prediction moves (``_store_weights_as_float32``).
- ``normalise`` is the single text normalisation of training and prediction: NFKC, lower case,
  and every whitespace, punctuation and symbol removed. So a raw message ("A市 西湖区，路灯…") and
  the space-joined jieba ``tokens`` of the same message give the same character stream.

Usage::

    model = TextModel().fit(texts, labels)      # returns the model; deterministic
    model.top("小区路灯坏了", k=3)              # [("城乡建设", 0.91), …]
    data = model.dumps(); TextModel.loads(data)  # bytes for a database row
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import pickle
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import jieba
import numpy as np
import sklearn
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

FORMAT_NAME = "gridgov-textmodel"
# 2: the classifier may be a ProbabilityAverage of calibrated members (1: one calibrated SVM).
FORMAT_VERSION = 2
# Stored models of these format versions still load (version 1 pipelines predict as before).
READABLE_VERSIONS = (1, 2)
CLASSIFIERS = ("svm", "nbsvm", "svm+nbsvm")
_MAGIC = b"GRIDGOV-TEXTMODEL\n"
RANDOM_STATE = 20240611
# A label needs this many examples for the cross-validated calibration of the SVM.
CALIBRATION_FOLDS = 3
# Up to this many texts are scored one by one on the fast path; larger batches go through
# scikit-learn's vectorised pipeline (same probabilities, faster per text in bulk).
_FAST_BATCH = 32

_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)
jieba.setLogLevel(logging.WARNING)


class ModelFormatError(ValueError):
    """Bytes that are not a text model this code can load (garbage, or another version)."""


def normalise(text: str) -> str:
    """The one normalisation of training and prediction text.

    NFKC folds full-width letters and digits (Ａ１ → a1), lower case, then every run of
    whitespace, punctuation or symbols is removed: raw messages and space-joined tokens of the
    same message become the same character stream.
    """
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text).lower())


def words(text: str) -> list[str]:
    """jieba words of the normalised text (its HMM finds words missing from the dictionary)."""
    tokens: list[str] = jieba.lcut(normalise(text))
    return tokens


def words_and_pairs(text: str) -> list[str]:
    """jieba words plus adjacent word pairs."""
    tokens = words(text)
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


@dataclass(frozen=True)
class TextModelConfig:
    """Every knob of the model; stored with each model version via ``TextModel.params``."""

    char_ngrams: tuple[int, int] = (1, 4)
    char_min_df: int = 2
    char_max_features: int | None = 300_000
    word_features: bool = True
    word_pairs: bool = False
    word_min_df: int = 2
    word_max_features: int | None = 200_000
    svm_c: float = 1.0
    calibration: str = "sigmoid"
    # "svm", "nbsvm" or "svm+nbsvm" (the average of both members' calibrated probabilities).
    classifier: str = "svm+nbsvm"
    # Additive smoothing of the NB-SVM's per-label feature counts.
    nb_alpha: float = 1.0


class NBLinearSVC(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """NB-SVM (Wang & Manning 2012), one-vs-rest: for each label a linear SVM on the features
    scaled by that label's log-count ratio r = log((p/|p|) / (q/|q|)), where p and q are the
    smoothed counts of documents with the feature in and outside the label.

    Still linear in the features: the score of label k is ``x · (r_k ∘ w_k) + b_k``, exposed as
    ``coef_`` and ``intercept_`` like ``LinearSVC`` (so ``_LinearScorer`` serves it as is).
    """

    def __init__(self, C: float = 1.0, alpha: float = 1.0, random_state: int | None = None):
        self.C = C
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NBLinearSVC:
        matrix = sparse.csr_matrix(X)
        target = np.asarray(y)
        self.classes_ = np.unique(target)
        present = matrix.copy()
        present.data = np.ones_like(present.data)
        coefs: list[np.ndarray] = []
        intercepts: list[float] = []
        for label in self.classes_:
            inside = target == label
            p = self.alpha + np.asarray(present[inside].sum(axis=0), dtype=float).ravel()
            q = self.alpha + np.asarray(present[~inside].sum(axis=0), dtype=float).ravel()
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            svm = LinearSVC(C=self.C, random_state=self.random_state)
            svm.fit(matrix @ sparse.diags(ratio), inside.astype(int), sample_weight=sample_weight)
            coefs.append(np.asarray(svm.coef_, dtype=float).ravel() * ratio)
            intercepts.append(float(svm.intercept_[0]))
        self.coef_ = np.array(coefs)
        self.intercept_ = np.array(intercepts)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        scores: np.ndarray = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.classes_[np.argmax(self.decision_function(X), axis=1)])


class ProbabilityAverage(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """The mean of several classifiers' probabilities (each fitted on the same rows)."""

    def __init__(self, members: Sequence[Any] = ()):
        self.members = members

    def fit(self, X: Any, y: Any) -> ProbabilityAverage:
        self.members_ = [clone(member).fit(X, y) for member in self.members]
        self.classes_ = self.members_[0].classes_
        for member in self.members_[1:]:
            if list(member.classes_) != list(self.classes_):
                raise ValueError("members disagree on the labels")
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(np.mean([m.predict_proba(X) for m in self.members_], axis=0))

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.classes_[np.argmax(self.predict_proba(X), axis=1)])


_CLASSIFIER_NAMES = {
    "svm": "linear_svm+sigmoid",
    "nbsvm": "nbsvm+sigmoid",
    "svm+nbsvm": "mean(linear_svm+sigmoid, nbsvm+sigmoid)",
}


class _LinearScorer:
    """The fitted pipeline's arithmetic without scikit-learn's per-call checks.

    A single prediction through ``Pipeline.predict_proba`` spends most of its ~5 ms validating
    inputs in each step; this does the same sums (TF-IDF with sublinear tf and l2 norm per
    feature block, each member's linear scores, the per-label sigmoid calibration,
    normalisation, the mean over members) in a few numpy operations. The members' weights sit
    side by side in one matrix, so the features are gathered once. ``tests/routing`` checks it
    gives the pipeline's probabilities.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        union: FeatureUnion = pipeline.named_steps["features"]
        members = self._members(pipeline.named_steps["classifier"])
        self.blocks: list[tuple[Any, dict[str, int], np.ndarray, int]] = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            vocabulary: dict[str, int] = vectorizer.vocabulary_
            self.blocks.append(
                (vectorizer.build_analyzer(), vocabulary, vectorizer.idf_.astype(float), offset)
            )
            offset += len(vocabulary)
        # Rows: features; columns: each member's classes (the model's label order), member
        # after member.
        fitted = [member.calibrated_classifiers_[0] for member in members]
        self.members = len(fitted)
        self.weights = np.ascontiguousarray(
            np.hstack([np.asarray(f.estimator.coef_, dtype=float).T for f in fitted])
        )
        self.intercept = np.concatenate(
            [np.asarray(f.estimator.intercept_, dtype=float) for f in fitted]
        )
        self.slope = np.array([c.a_ for f in fitted for c in f.calibrators], dtype=float)
        self.shift = np.array([c.b_ for f in fitted for c in f.calibrators], dtype=float)

    @staticmethod
    def _members(classifier: Any) -> list[CalibratedClassifierCV]:
        if isinstance(classifier, ProbabilityAverage):
            return list(classifier.members_)
        return [classifier]

    @staticmethod
    def supports(pipeline: Pipeline) -> bool:
        classifier = pipeline.named_steps["classifier"]
        members = _LinearScorer._members(classifier)
        return all(
            isinstance(member, CalibratedClassifierCV)
            and member.method == "sigmoid"
            and len(member.classes_) > 2
            and len(member.calibrated_classifiers_) == 1
            and list(member.classes_) == list(classifier.classes_)
            and list(member.calibrated_classifiers_[0].estimator.classes_) == list(member.classes_)
            and hasattr(member.calibrated_classifiers_[0].estimator, "coef_")
            for member in members
        )

    def proba(self, text: str) -> np.ndarray:
        columns: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for analyze, vocabulary, idf, offset in self.blocks:
            counts: dict[int, int] = {}
            for gram, count in Counter(analyze(text)).items():
                index = vocabulary.get(gram)
                if index is not None:
                    counts[index] = count
            if not counts:
                continue
            index_array = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=float, count=len(counts))
            weight = (1.0 + np.log(tf)) * idf[index_array]
            weight /= np.sqrt(weight @ weight)
            columns.append(index_array + offset)
            values.append(weight)
        scores = self.intercept.copy()
        if columns:
            scores += np.concatenate(values) @ self.weights[np.concatenate(columns)]
        probs = (1.0 / (1.0 + np.exp(self.slope * scores + self.shift))).reshape(self.members, -1)
        total = probs.sum(axis=1, keepdims=True)
        uniform = np.full_like(probs, 1.0 / probs.shape[1])
        probs = np.divide(probs, total, out=uniform, where=total > 0)
        return np.asarray(probs.mean(axis=0))


def _store_weights_as_float32(classifier: Any) -> None:
    """Keep the fitted linear weights in single precision: they are most of the stored bytes
    (labels × features per member) and the features are float32 already, so the scores move by
    ~1e-7 and no prediction changes in practice (bench/bench_routing.py measures the model as
    stored). Older pickles with float64 weights predict as before."""
    estimators: list[Any]
    if isinstance(classifier, ProbabilityAverage):
        estimators = [m.calibrated_classifiers_[0].estimator for m in classifier.members_]
    elif isinstance(classifier, CalibratedClassifierCV):
        estimators = [c.estimator for c in classifier.calibrated_classifiers_]
    else:
        estimators = [classifier]
    for estimator in estimators:
        if hasattr(estimator, "coef_"):
            estimator.coef_ = np.asarray(estimator.coef_, dtype=np.float32)


class TextModel:
    """A text classifier: ``TextModel(config).fit(texts, labels)`` returns the fitted model."""

    def __init__(self, config: TextModelConfig | None = None) -> None:
        self.config = config or TextModelConfig()
        self._pipeline: Pipeline | None = None
        self._scorer: _LinearScorer | None = None
        self.labels: list[str] = []
        self.params: dict[str, Any] = self._describe()

    def _describe(self) -> dict[str, Any]:
        return {
            **asdict(self.config),
            "char_ngrams": list(self.config.char_ngrams),
            "format_version": FORMAT_VERSION,
            "sklearn_version": sklearn.__version__,
            "jieba_version": jieba.__version__,
            "random_state": RANDOM_STATE,
        }

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TextModel:
        """Train on the texts (deterministic: fixed random state, one thread); returns self."""
        config = self.config
        if config.classifier not in CLASSIFIERS:
            raise ValueError(f"unknown classifier {config.classifier!r}: one of {CLASSIFIERS}")
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        counts = Counter(str(label) for label in labels)
        if len(counts) < 2:
            raise ValueError("训练文本模型至少需要两个不同的标签")
        features: list[tuple[str, Any]] = [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char",
                    preprocessor=normalise,
                    ngram_range=config.char_ngrams,
                    min_df=config.char_min_df,
                    max_features=config.char_max_features,
                    sublinear_tf=True,
                    dtype=np.float32,
                ),
            )
        ]
        if config.word_features:
            features.append(
                (
                    "words",
                    TfidfVectorizer(
                        analyzer=words_and_pairs if config.word_pairs else words,
                        min_df=config.word_min_df,
                        max_features=config.word_max_features,
                        sublinear_tf=True,
                        dtype=np.float32,
                    ),
                )
            )
        # Sigmoid calibration needs every label in each of its cross-validation folds.
        calibrated = min(counts.values()) >= CALIBRATION_FOLDS
        classifier: Any
        if calibrated:
            members = [
                CalibratedClassifierCV(
                    estimator, method=config.calibration, cv=CALIBRATION_FOLDS, ensemble=False
                )
                for name, estimator in (
                    ("svm", LinearSVC(C=config.svm_c, random_state=RANDOM_STATE)),
                    (
                        "nbsvm",
                        NBLinearSVC(
                            C=config.svm_c, alpha=config.nb_alpha, random_state=RANDOM_STATE
                        ),
                    ),
                )
                if name in config.classifier.split("+")
            ]
            classifier = members[0] if len(members) == 1 else ProbabilityAverage(members)
        else:
            classifier = LogisticRegression(C=20.0, max_iter=2000, random_state=RANDOM_STATE)
        pipeline = Pipeline([("features", FeatureUnion(features)), ("classifier", classifier)])
        pipeline.fit([str(text) for text in texts], [str(label) for label in labels])
        _store_weights_as_float32(pipeline.named_steps["classifier"])
        self._pipeline = pipeline
        self._scorer = None
        self.labels = [str(label) for label in pipeline.classes_]
        self.params = {
            **self._describe(),
            "classifier": _CLASSIFIER_NAMES[config.classifier]
            if calibrated
            else "logistic_regression",
            "n_train": len(texts),
            "label_counts": dict(sorted(counts.items())),
        }
        return self

    def _fitted(self) -> Pipeline:
        if self._pipeline is None:
            raise RuntimeError("TextModel is not fitted: call fit() or loads() first")
        return self._pipeline

    def predict_proba(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """For each text every label with its probability, best first (they sum to 1)."""
        if not texts:
            return []
        pipeline = self._fitted()
        if self._scorer is None and _LinearScorer.supports(pipeline):
            self._scorer = _LinearScorer(pipeline)
        if self._scorer is not None and len(texts) <= _FAST_BATCH:
            matrix = np.array([self._scorer.proba(str(t)) for t in texts])
        else:
            matrix = np.asarray(pipeline.predict_proba([str(t) for t in texts]), dtype=float)
        result = []
        for row in matrix:
            total = float(row.sum())
            probs = row / total if total > 0 else np.full(len(row), 1.0 / len(row))
            order = np.argsort(-probs, kind="stable")
            result.append([(self.labels[i], float(probs[i])) for i in order])
        return result

    def top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k most probable labels of one text, best first."""
        return self.predict_proba([text])[0][:k]

    def dumps(self) -> bytes:
        """Bytes for a database row: a JSON header (format, versions) then the pickle."""
        header = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "sklearn_version": sklearn.__version__,
        }
        body = pickle.dumps(
            {"pipeline": self._fitted(), "config": self.config, "params": self.params},
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        return _MAGIC + json.dumps(header).encode() + b"\n" + body

    @classmethod
    def loads(cls, data: bytes) -> TextModel:
        """A model from ``dumps`` bytes; refuses other bytes and other versions clearly.

        Only the platform writes these bytes (they are unpickled), and a model pickled by another
        scikit-learn version may silently predict differently, so that is refused: retrain.
        """
        if not data.startswith(_MAGIC):
            raise ModelFormatError("不是文本模型数据（格式标识不符）")
        stream = io.BytesIO(data[len(_MAGIC) :])
        try:
            header = json.loads(stream.readline())
        except ValueError as error:
            raise ModelFormatError("文本模型数据的头部已损坏") from error
        if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
            raise ModelFormatError("不是文本模型数据（格式名不符）")
        version = header.get("format_version")
        if version not in READABLE_VERSIONS:
            raise ModelFormatError(
                f"文本模型格式版本 {version} 无法读取（可读版本："
                f"{'、'.join(map(str, READABLE_VERSIONS))}），请重新训练"
            )
        if header.get("sklearn_version") != sklearn.__version__:
            raise ModelFormatError(
                f"文本模型由 scikit-learn {header.get('sklearn_version')} 训练，当前为 "
                f"{sklearn.__version__}，请重新训练"
            )
        try:
            payload = pickle.loads(stream.read())
        except Exception as error:
            raise ModelFormatError("文本模型数据已损坏，无法读取") from error
        if not isinstance(payload, dict) or not isinstance(payload.get("pipeline"), Pipeline):
            raise ModelFormatError("文本模型数据内容不符")
        config = payload.get("config")
        if not isinstance(config, TextModelConfig):
            raise ModelFormatError("文本模型数据内容不符")
        if version == 1:
            # Version 1 configs predate ``classifier``: they read the new default from the class.
            config = replace(config, classifier="svm")
        model = cls(config)
        model._pipeline = payload["pipeline"]
        model.labels = [str(label) for label in payload["pipeline"].classes_]
        model.params = dict(payload["params"])
        return model


def feature_count(model: TextModel) -> int:
    """How many features the fitted model uses (for the bench and the version record)."""
    union = model._fitted().named_steps["features"]
    return sum(len(step.vocabulary_) for _, step in union.transformer_list)


__all__ = [
    "ModelFormatError",
    "NBLinearSVC",
    "ProbabilityAverage",
    "TextModel",
    "TextModelConfig",
    "feature_count",
    "normalise",
]
