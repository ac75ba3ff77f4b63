"""The routing text model on a small synthetic Chinese set, plus one floor on the real data."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

from gridgov.routing import textmodel
from gridgov.routing.benchmark import near_copies, read_labelled, score
from gridgov.routing.textmodel import (
    FORMAT_VERSION,
    ModelFormatError,
    NBLinearSVC,
    TextModel,
    TextModelConfig,
    normalise,
)

TOPICS = {
    "城乡建设": [
        "小区路灯不亮",
        "道路破损坑洼",
        "违章搭建占道",
        "楼顶水箱漏水",
        "物业不作为",
        "拆迁安置房",
    ],
    "环境保护": [
        "工厂排放黑烟",
        "河道污水直排",
        "夜间施工噪音扰民",
        "垃圾焚烧异味",
        "粉尘污染严重",
    ],
    "教育文体": [
        "学校乱收补课费",
        "幼儿园入学难",
        "教师工资拖欠",
        "学区划分不合理",
        "体育馆不开放",
    ],
    "交通运输": [
        "公交线路停运",
        "出租车拒载绕路",
        "高速收费站拥堵",
        "红绿灯时间太短",
        "货车超载上路",
    ],
}
FILLERS = ["请领导重视", "希望尽快解决", "反映多次无人处理", "影响居民生活", "恳请有关部门调查"]
PLACES = ["A市", "B市", "A3区", "K8县", "西地省"]


def synthetic(n_per_label: int, seed: int) -> tuple[list[str], list[str]]:
    rnd = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    for label, phrases in TOPICS.items():
        for _ in range(n_per_label):
            parts = [rnd.choice(PLACES), *rnd.sample(phrases, 2), rnd.choice(FILLERS)]
            texts.append("，".join(parts) + "。")
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def model() -> TextModel:
    texts, labels = synthetic(15, seed=1)
    return TextModel().fit(texts, labels)


def test_normalise_makes_raw_text_and_joined_tokens_agree() -> None:
    assert normalise("Ａ市 西湖区，路灯\n坏了！") == "a市西湖区路灯坏了"
    assert normalise("A 市 西湖 区 路灯 坏 了") == normalise("A市西湖区路灯坏了")


def test_fit_predicts_the_topic(model: TextModel) -> None:
    assert sorted(model.labels) == sorted(TOPICS)
    texts, labels = synthetic(5, seed=2)
    predicted = [model.top(text, k=1)[0][0] for text in texts]
    assert np.mean([p == t for p, t in zip(predicted, labels, strict=True)]) >= 0.9
    assert model.params["n_train"] == 60 and model.params["format_version"] == FORMAT_VERSION
    assert model.params["classifier"] == "mean(linear_svm+sigmoid, nbsvm+sigmoid)"


def test_probabilities_are_sorted_and_sum_to_one(model: TextModel) -> None:
    texts, _ = synthetic(3, seed=3)
    for ranked in model.predict_proba([*texts, "", "完全无关的内容"]):
        assert [label for label, _ in ranked] != [] and len(ranked) == len(model.labels)
        probabilities = [p for _, p in ranked]
        assert probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) == pytest.approx(1.0)
        assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert len(model.top(texts[0])) == 3 and len(model.top(texts[0], k=1)) == 1
    assert model.predict_proba([]) == []


def test_fast_path_equals_the_sklearn_pipeline(model: TextModel) -> None:
    texts, _ = synthetic(10, seed=4)  # 40 texts: more than the fast batch, so the pipeline
    bulk = model.predict_proba(texts)
    one_by_one = [model.predict_proba([text])[0] for text in texts]
    for a, b in zip(bulk, one_by_one, strict=True):
        assert dict(a) == pytest.approx(dict(b), abs=1e-6)


@pytest.mark.parametrize("classifier", ["svm", "nbsvm"])
def test_fast_path_equals_the_pipeline_for_single_members(classifier: str) -> None:
    texts, labels = synthetic(12, seed=8)
    single = TextModel(TextModelConfig(classifier=classifier)).fit(texts, labels)
    probe, _ = synthetic(9, seed=9)  # 36 texts: the pipeline in bulk
    for a, b in zip(
        single.predict_proba(probe), [single.predict_proba([t])[0] for t in probe], strict=True
    ):
        assert dict(a) == pytest.approx(dict(b), abs=1e-6)


def test_the_model_averages_its_two_calibrated_members(model: TextModel) -> None:
    pipeline = model._fitted()
    averaged = pipeline.named_steps["classifier"]
    svm, nbsvm = averaged.members_
    assert isinstance(nbsvm.calibrated_classifiers_[0].estimator, NBLinearSVC)
    texts, _ = synthetic(2, seed=10)
    features = pipeline.named_steps["features"].transform(texts)
    expected = (svm.predict_proba(features) + nbsvm.predict_proba(features)) / 2
    for row, ranked in zip(expected, model.predict_proba(texts), strict=True):
        assert dict(ranked) == pytest.approx(dict(zip(model.labels, row, strict=True)), abs=1e-6)


def test_stored_weights_are_single_precision_and_predict_as_double(
    model: TextModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The weights are most of the stored bytes: kept as float32, the model is smaller than the
    same fit with float64 weights and ranks and scores texts as that one does."""
    averaged = model._fitted().named_steps["classifier"]
    estimators = [member.calibrated_classifiers_[0].estimator for member in averaged.members_]
    assert all(estimator.coef_.dtype == np.float32 for estimator in estimators)
    monkeypatch.setattr(textmodel, "_store_weights_as_float32", lambda classifier: None)
    texts, labels = synthetic(15, seed=1)  # the fixture's training set
    double = TextModel().fit(texts, labels)
    assert len(model.dumps()) < len(double.dumps())
    probe, _ = synthetic(3, seed=11)
    for single_ranked, double_ranked in zip(
        model.predict_proba(probe), double.predict_proba(probe), strict=True
    ):
        assert [label for label, _ in single_ranked] == [label for label, _ in double_ranked]
        assert dict(single_ranked) == pytest.approx(dict(double_ranked), abs=1e-5)


def test_nbsvm_is_linear_in_the_features() -> None:
    matrix = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    nbsvm = NBLinearSVC(random_state=0).fit(matrix, ["a", "b", "c", "a"])
    scores = nbsvm.decision_function(matrix)
    assert scores == pytest.approx(matrix @ nbsvm.coef_.T + nbsvm.intercept_)
    assert list(nbsvm.predict(matrix)) == ["a", "b", "c", "a"]


def test_version_1_models_still_load_and_predict_as_before() -> None:
    """A stored model of format 1 (one calibrated SVM) loads and scores as it did."""
    texts, labels = synthetic(10, seed=14)
    old = TextModel(TextModelConfig(classifier="svm")).fit(texts, labels)
    data = old.dumps()
    header, _, rest = data[len(b"GRIDGOV-TEXTMODEL\n") :].partition(b"\n")
    version_1 = header.replace(
        f'"format_version": {FORMAT_VERSION}'.encode(), b'"format_version": 1'
    )
    loaded = TextModel.loads(b"GRIDGOV-TEXTMODEL\n" + version_1 + b"\n" + rest)
    assert loaded.config.classifier == "svm"
    assert loaded.predict_proba(texts[:5]) == old.predict_proba(texts[:5])


def test_fit_is_deterministic() -> None:
    texts, labels = synthetic(10, seed=5)
    first = TextModel().fit(texts, labels).predict_proba(texts[:5])
    second = TextModel().fit(texts, labels).predict_proba(texts[:5])
    assert first == second


def test_dumps_loads_round_trip(model: TextModel) -> None:
    texts, _ = synthetic(3, seed=6)
    loaded = TextModel.loads(model.dumps())
    assert loaded.labels == model.labels and loaded.params == model.params
    assert loaded.predict_proba(texts) == model.predict_proba(texts)


def test_loads_refuses_garbage_and_other_versions(model: TextModel) -> None:
    with pytest.raises(ModelFormatError):
        TextModel.loads(b"not a model at all")
    data = model.dumps()
    with pytest.raises(ModelFormatError):
        TextModel.loads(data[: len(data) // 2])
    head, _, body = data.partition(b"\n{")
    header = b"{" + body.split(b"\n", 1)[0]
    rest = body.split(b"\n", 1)[1]
    for old, new in ((f'"format_version": {FORMAT_VERSION}', '"format_version": 999'),):
        changed = header.replace(old.encode(), new.encode())
        with pytest.raises(ModelFormatError, match="格式版本"):
            TextModel.loads(head + b"\n" + changed + b"\n" + rest)
    sklearn_changed = header.replace(b'"sklearn_version": "', b'"sklearn_version": "0.0-')
    with pytest.raises(ModelFormatError, match="scikit-learn"):
        TextModel.loads(head + b"\n" + sklearn_changed + b"\n" + rest)


def test_rare_labels_fall_back_to_logistic_regression() -> None:
    texts, labels = synthetic(6, seed=7)
    texts.append("图书馆开放时间太短")
    labels.append("文化")
    model = TextModel().fit(texts, labels)
    assert model.params["classifier"] == "logistic_regression"
    ranked = model.predict_proba(texts[:2])[0]
    assert sum(p for _, p in ranked) == pytest.approx(1.0)
    assert TextModel.loads(model.dumps()).predict_proba(texts[:3]) == model.predict_proba(texts[:3])


def test_fit_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        TextModel().fit(["一", "二"], ["a"])
    with pytest.raises(ValueError):
        TextModel().fit(["一", "二"], ["a", "a"])
    with pytest.raises(RuntimeError):
        TextModel().top("未训练")


def test_near_copies_finds_the_token_string_of_a_message() -> None:
    raw = ["A3区桐梓坡西路可可小城长期停水得不到解决，尊敬的胡书记您好", "学校乱收补课费"]
    tokens = ["A3 区 桐梓 坡 西路 可可 小城 长期 停水 得不到 解决 尊敬 胡书记", "工厂 排放 黑烟"]
    best = near_copies(tokens, raw)
    assert best[0] >= 0.95 and best[1] < 0.5


SHARED = Path(
    os.environ.get("GRIDGOV_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
)
RAW = SHARED / "complaints" / "labeled_messages_raw.csv"


@pytest.mark.skipif(not RAW.is_file(), reason=f"public complaints data not found at {RAW}")
def test_real_messages_floor() -> None:
    """A floor that catches breakage (not the target): raw messages only, one split."""
    data = read_labelled(RAW)
    order = np.random.default_rng(0).permutation(len(data.texts))
    train, test = order[:1500], order[2400:]
    # Fit time is a figure of bench/bench_routing.py, not asserted here (shared CPUs).
    model = TextModel(TextModelConfig(word_features=False)).fit(
        [data.texts[i] for i in train], [data.labels[i] for i in train]
    )
    result = score(
        model, [data.texts[i] for i in test], [data.labels[i] for i in test], latency=False
    )
    assert result["macro_f1"] >= 0.85, result
    assert result["top3_accuracy"] >= 0.97, result
