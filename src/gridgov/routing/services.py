"""Routing: who should handle a case, decided by rules first and the text model second.

This engine knows text, rules and departments, not cases: the events feature hands it the facts
of a case (``CaseFacts``) and acts on the ``Decision`` it gets back. Services take a session and
an actor where a person acts, and never commit."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.kit.clock import now
from gridgov.kit.errors import Conflict, InvalidInput, NotFound
from gridgov.orgs import services as orgs
from gridgov.regions import services as regions
from gridgov.routing import repository
from gridgov.routing.models import RoutingDecision, RoutingModel, RoutingRuleSet, RoutingStatus
from gridgov.routing.rules import CaseFacts, Known, RuleSetSpec, check, first_match

if TYPE_CHECKING:
    from gridgov.routing.textmodel import TextModel

# A correction (an operator's override, a department's "not ours") says more about where a
# text belongs than an ordinary case: it counts this many times in training.
CORRECTION_WEIGHT = 3
TOP_K = 3


@dataclass(frozen=True)
class Candidate:
    department_code: str
    department_name: str
    confidence: float | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "department_code": self.department_code,
            "department_name": self.department_name,
            "confidence": self.confidence,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Decision:
    """``auto``: dispatch with no operator; ``recommend``: show the candidates."""

    mode: str
    decided_by: str  # rule / model / category / none
    candidates: list[Candidate]
    reason: str
    confidence: float | None = None
    assisting: tuple[str, ...] = ()
    level: str | None = None
    time_limit_hours: float | None = None
    rule_set_version: int | None = None
    rule_id: str | None = None
    model_version: int | None = None

    @property
    def department_code(self) -> str | None:
        return self.candidates[0].department_code if self.candidates else None


@dataclass
class LoadedModel:
    version: int
    department: TextModel
    category: TextModel | None


_models: dict[str, LoadedModel] = {}
_unreadable: dict[str, str] = {}  # model key → why it could not be loaded
log = logging.getLogger(__name__)


class UnreadableModel(Exception):
    """A stored model this code cannot load (another model format or scikit-learn)."""

    def __init__(self, version: int, reason: str) -> None:
        super().__init__(f"model v{version}: {reason}")
        self.version = version
        self.reason = reason


_models_lock = threading.Lock()


def _digest(*blobs: bytes | None) -> str:
    hasher = hashlib.sha256()
    for blob in blobs:
        hasher.update(blob or b"")
    return hasher.hexdigest()


def _load(session: Session, ref: tuple[int, dict[str, Any]] | None) -> LoadedModel | None:
    """The model a (version, params) reference names, unpickled once per process. Keyed by the
    digest of its bytes, so another database with the same version number never gets a stale
    one; the bytes are read only when this process has not loaded them yet. A stored model this
    code cannot read (trained by another scikit-learn or model format) raises
    ``UnreadableModel``, once per process and model; the caller decides what that means."""
    if ref is None:
        return None
    version, params = ref
    key = f"{version}:{params.get('digest') or ''}"
    with _models_lock:
        cached = _models.get(key)
        refused = _unreadable.get(key)
    if cached is not None:
        return cached
    if refused is not None:
        raise UnreadableModel(version, refused)
    row = repository.get_model(session, version)
    if row is None:
        return None
    # Imported here: scikit-learn takes a second to import, and most processes never predict.
    from gridgov.routing.textmodel import ModelFormatError, TextModel

    try:
        loaded = LoadedModel(
            version=row.version,
            department=TextModel.loads(row.department_model),
            category=TextModel.loads(row.category_model) if row.category_model else None,
        )
    except ModelFormatError as error:
        log.warning("routing model v%s cannot be loaded: %s", version, error)
        with _models_lock:
            _unreadable[key] = str(error)
        raise UnreadableModel(version, str(error)) from error
    with _models_lock:
        _models[key] = loaded
    return loaded


def active_model(session: Session) -> LoadedModel | None:
    """The active model (intake asks on every routed case: one small query, no bytes). An
    active model this code cannot read counts as none: cases are routed by the rules (and the
    operator) until `gridgov routing train` makes a new one, rather than failing intake."""
    try:
        return _load(session, repository.model_ref(session, None))
    except UnreadableModel:
        return None


def model_version(session: Session, version: int) -> LoadedModel:
    try:
        loaded = _load(session, repository.model_ref(session, version))
    except UnreadableModel as error:
        raise Conflict(
            f"模型版本 {version} 无法读取（{error.reason}），请重新训练",
            code="model_unreadable",
        ) from error
    if loaded is None:
        raise NotFound(f"模型版本 {version} 不存在", code="model_not_found")
    return loaded


def active_rules(session: Session) -> tuple[int | None, RuleSetSpec | None]:
    row = repository.active_rule_set(session)
    if row is None:
        return None, None
    return row.version, RuleSetSpec.model_validate(row.document)


# ---------------------------------------------------------------------------------------------
# Deciding


def decide(
    session: Session,
    case: CaseFacts,
    *,
    default_department: str | None,
    rules: tuple[int | None, RuleSetSpec | None] | None = None,
    model: LoadedModel | bool | None = True,
) -> Decision:
    """Rules first (first match wins), then the model, then the category's default
    department. ``rules``/``model`` override the active ones (what-if replay); by default the
    active ones are used."""
    directory = orgs.department_directory(session)
    version, spec = rules if rules is not None else active_rules(session)
    loaded = active_model(session) if model is True else (model or None)
    probabilities = loaded.department.predict_proba([case.text])[0] if loaded is not None else None
    return decide_with(
        case,
        directory=directory,
        default_department=default_department,
        rule_set_version=version,
        spec=spec,
        model=loaded,
        probabilities=probabilities,
    )


def decide_with(
    case: CaseFacts,
    *,
    directory: Mapping[str, orgs.DepartmentRef],
    default_department: str | None,
    rule_set_version: int | None,
    spec: RuleSetSpec | None,
    model: LoadedModel | None,
    probabilities: Sequence[tuple[str, float]] | None,
) -> Decision:
    """The pure part of ``decide``: everything it needs is passed in, so replay can run it over
    thousands of cases with one batched model call."""
    rule = first_match(spec, case) if spec is not None else None
    model_candidates = [
        Candidate(code, directory[code].name, round(p, 4), f"文本模型 v{model.version}")
        for code, p in (probabilities or [])
        if code in directory and model is not None
    ][:TOP_K]
    if rule is not None and rule.then.department in directory:
        head = Candidate(
            rule.then.department,
            directory[rule.then.department].name,
            1.0,
            f"规则「{rule.name}」（{rule.id}，规则集 v{rule_set_version}）",
        )
        rest = [c for c in model_candidates if c.department_code != head.department_code]
        return Decision(
            mode=rule.then.mode,
            decided_by="rule",
            candidates=[head, *rest][:TOP_K],
            reason=head.reason,
            confidence=1.0,
            assisting=tuple(c for c in rule.then.assisting if c in directory),
            level=rule.then.level,
            time_limit_hours=rule.then.time_limit_hours,
            rule_set_version=rule_set_version,
            rule_id=rule.id,
            model_version=model.version if model is not None else None,
        )
    if model_candidates and model is not None:
        best = model_candidates[0]
        thresholds = spec.thresholds if spec is not None else None
        threshold = (
            thresholds.for_category(case.category_code, case.parent_category_code)
            if thresholds is not None
            else None
        )
        automatic = threshold is not None and (best.confidence or 0.0) >= threshold
        reason = f"文本模型 v{model.version}，置信度 {best.confidence:.2f}" + (
            f"（≥ 自动转办阈值 {threshold:.2f}）" if automatic else ""
        )
        return Decision(
            mode="auto" if automatic else "recommend",
            decided_by="model",
            candidates=model_candidates,
            reason=reason,
            confidence=best.confidence,
            rule_set_version=rule_set_version,
            model_version=model.version,
        )
    if default_department and default_department in directory:
        head = Candidate(
            default_department, directory[default_department].name, None, "事件类别的默认部门"
        )
        return Decision(
            mode="recommend",
            decided_by="category",
            candidates=[head],
            reason=head.reason,
            rule_set_version=rule_set_version,
        )
    return Decision(
        mode="recommend",
        decided_by="none",
        candidates=[],
        reason="没有匹配的规则，也没有可用的模型",
        rule_set_version=rule_set_version,
    )


def classify_text(session: Session, text: str, minimum: float) -> tuple[str, float, int] | None:
    """The active model's category for a text, when it is at least ``minimum`` sure."""
    loaded = active_model(session)
    if loaded is None or loaded.category is None:
        return None
    label, probability = loaded.category.top(text, 1)[0]
    if probability < minimum:
        return None
    return label, probability, loaded.version


# ---------------------------------------------------------------------------------------------
# Recording decisions and what became of them


def record_decision(
    session: Session, subject_type: str, subject_id: int, decision: Decision
) -> RoutingDecision:
    return repository.add_decision(
        session,
        RoutingDecision(
            subject_type=subject_type,
            subject_id=subject_id,
            at=now(),
            mode=decision.mode,
            decided_by=decision.decided_by,
            rule_set_version=decision.rule_set_version,
            rule_id=decision.rule_id,
            model_version=decision.model_version,
            confidence=decision.confidence,
            department_code=decision.department_code,
            candidates=[c.as_dict() for c in decision.candidates],
            reason=decision.reason,
            overridden=False,
            returned=False,
        ),
    )


def decision_for(session: Session, subject_type: str, subject_id: int) -> RoutingDecision | None:
    return repository.decision_for(session, subject_type, subject_id)


def note_dispatch(
    session: Session,
    subject_type: str,
    subject_id: int,
    department_code: str,
    *,
    by_operator: bool,
    proposal: Callable[[], Decision] | None = None,
) -> RoutingDecision:
    """A case went to ``department_code``. When a person chose a department other than the
    one routing proposed, that is an override, and it feeds the next training."""
    recorded = repository.decision_for(session, subject_type, subject_id)
    if recorded is None:
        decision = proposal() if proposal is not None else None
        recorded = record_decision(
            session,
            subject_type,
            subject_id,
            decision
            if decision is not None
            else Decision(mode="manual", decided_by="none", candidates=[], reason="人工派遣"),
        )
        if recorded.department_code is None:
            recorded.mode = "manual"
    if (
        by_operator
        and recorded.department_code is not None
        and department_code != recorded.department_code
    ):
        recorded.overridden = True
    recorded.final_department_code = department_code
    return recorded


def note_return(
    session: Session, subject_type: str, subject_id: int, department_code: str, comment: str
) -> None:
    """The department that had the case sent it back (退回, "not ours"). It counts against
    routing only when routing had proposed that department."""
    recorded = repository.decision_for(session, subject_type, subject_id)
    if recorded is None or recorded.department_code != department_code:
        return
    recorded.returned = True
    recorded.returned_comment = comment
    recorded.final_department_code = None


def corrections(session: Session, subject_type: str) -> dict[int, str]:
    """Subject id → the department that finally took it, for every corrected case."""
    return repository.corrected_subjects(session, subject_type)


# ---------------------------------------------------------------------------------------------
# Rule sets


def _known(
    session: Session, document: dict[str, Any], categories: Mapping[str, str | None], actor: Actor
) -> Known:
    named = {
        str(code)
        for rule in document.get("rules", []) or []
        if isinstance(rule, dict) and isinstance(rule.get("when"), dict)
        for code in rule["when"].get("regions", []) or []
    }
    found = regions.regions_by_codes(session, sorted(named), actor=actor) if named else []
    return Known(
        categories=frozenset(categories),
        departments=frozenset(orgs.department_directory(session)),
        regions=frozenset(r.code for r in found),
    )


def validate_rule_set(
    session: Session,
    document: dict[str, Any],
    *,
    actor: Actor,
    categories: Mapping[str, str | None],
) -> tuple[RuleSetSpec | None, list[str]]:
    actor.require(Perm.ROUTING_WRITE)
    return check(document, _known(session, document, categories, actor))


def save_rule_set(
    session: Session,
    document: dict[str, Any],
    *,
    actor: Actor,
    note: str,
    categories: Mapping[str, str | None],
) -> RoutingRuleSet:
    """A new draft version. Nothing routes by it until it is activated."""
    spec = parse_rule_set(session, document, actor=actor, categories=categories)
    row = repository.add_rule_set(
        session,
        RoutingRuleSet(
            version=repository.next_rule_set_version(session),
            status=RoutingStatus.DRAFT,
            document=spec.model_dump(mode="json"),
            note=note,
            created_at=now(),
            created_by=actor.username,
        ),
    )
    audit.record(
        session,
        actor=actor,
        action="routing.rule_set.save",
        object_type="routing_rule_set",
        object_id=row.version,
        summary=f"保存分拨规则集 v{row.version}（{len(spec.rules)} 条规则）",
        details={"note": note},
    )
    return row


def list_rule_sets(session: Session, *, actor: Actor) -> list[RoutingRuleSet]:
    actor.require(Perm.ROUTING_WRITE)
    return repository.list_rule_sets(session)


def get_rule_set(session: Session, version: int, *, actor: Actor) -> RoutingRuleSet:
    actor.require(Perm.ROUTING_WRITE)
    row = repository.get_rule_set(session, version)
    if row is None:
        raise NotFound(f"规则集 v{version} 不存在", code="rule_set_not_found")
    return row


def activate_rule_set(session: Session, version: int, *, actor: Actor) -> RoutingRuleSet:
    row = get_rule_set(session, version, actor=actor)
    if row.status == RoutingStatus.ACTIVE:
        return row
    repository.update_rule_sets_retire_active(session)
    row.status = RoutingStatus.ACTIVE
    row.activated_at = now()
    row.activated_by = actor.username
    audit.record(
        session,
        actor=actor,
        action="routing.rule_set.activate",
        object_type="routing_rule_set",
        object_id=row.version,
        summary=f"启用分拨规则集 v{row.version}",
    )
    return row


# ---------------------------------------------------------------------------------------------
# The text model: training, evaluation, activation


@dataclass(frozen=True)
class TrainingRow:
    text: str
    department_code: str
    category_code: str | None = None
    corrected: bool = False


@dataclass
class TrainingReport:
    model: RoutingModel
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)


def scores(
    expected: Sequence[str], predicted: Sequence[Sequence[tuple[str, float]]]
) -> dict[str, float]:
    """Accuracy, macro-F1 and top-3 accuracy of ranked predictions."""
    from sklearn.metrics import f1_score

    if not expected:
        return {"n": 0}
    first = [p[0][0] if p else "" for p in predicted]
    accuracy = sum(e == f for e, f in zip(expected, first, strict=True)) / len(expected)
    top3 = sum(
        e in {label for label, _ in p[:TOP_K]} for e, p in zip(expected, predicted, strict=True)
    ) / len(expected)
    # Over the labels the cases really have: a department known only from the public data,
    # proposed once by mistake, is an error of the true label's, not a label of its own.
    macro = float(
        f1_score(expected, first, labels=sorted(set(expected)), average="macro", zero_division=0)
    )
    return {
        "n": len(expected),
        "accuracy": round(accuracy, 4),
        "macro_f1": round(macro, 4),
        "top3_accuracy": round(top3, 4),
    }


def _fit(texts: Sequence[str], labels: Sequence[str]) -> TextModel | None:
    from gridgov.routing.textmodel import TextModel

    if len(set(labels)) < 2:
        return None
    return TextModel().fit(list(texts), list(labels))


def train(
    session: Session,
    rows: Sequence[TrainingRow],
    *,
    actor: Actor,
    public: Sequence[tuple[str, str]] = (),
    activate: bool = False,
    holdout_share: float = 0.2,
    progress: Callable[[str], None] = lambda _: None,
) -> TrainingReport:
    """Train a new version on case rows (oldest first; the newest ``holdout_share`` is held
    out to measure it), plus public (text, department) pairs, then refit on everything."""
    actor.require(Perm.ROUTING_WRITE)
    started = datetime.now()
    labelled = [r for r in rows if r.department_code]
    if len(labelled) + len(public) < 20 or len({r.department_code for r in labelled}) < 2:
        raise InvalidInput(
            "训练数据不足：至少需要 20 条已办结案件，涉及两个以上部门",
            code="not_enough_training_data",
            rows=len(labelled),
        )
    cut = int(len(labelled) * (1 - holdout_share))
    older, newest = labelled[:cut], labelled[cut:]

    def department_data(part: Sequence[TrainingRow]) -> tuple[list[str], list[str]]:
        texts = [t for t, _ in public]
        labels = [d for _, d in public]
        for row in part:
            times = CORRECTION_WEIGHT if row.corrected else 1
            texts += [row.text] * times
            labels += [row.department_code] * times
        return texts, labels

    metrics: dict[str, Any] = {}
    if newest and len(older) >= 10:
        progress(f"留出最近 {len(newest)} 条案件评估，用其余 {len(older)} 条训练")
        held = _fit(*department_data(older))
        if held is not None:
            metrics["department"] = scores(
                [r.department_code for r in newest],
                held.predict_proba([r.text for r in newest]),
            )
        categorised = [r for r in older if r.category_code]
        held_category = _fit(
            [r.text for r in categorised], [r.category_code or "" for r in categorised]
        )
        if held_category is not None:
            judged = [r for r in newest if r.category_code]
            metrics["category"] = scores(
                [r.category_code or "" for r in judged],
                held_category.predict_proba([r.text for r in judged]),
            )
    progress(f"用全部 {len(labelled)} 条案件和 {len(public)} 条公开数据训练")
    department_model = _fit(*department_data(labelled))
    assert department_model is not None  # two departments at least, checked above
    categorised = [r for r in labelled if r.category_code]
    category_model = _fit(
        [r.text for r in categorised], [r.category_code or "" for r in categorised]
    )
    department_blob = department_model.dumps()
    category_blob = category_model.dumps() if category_model is not None else None
    counts = {
        "cases": len(labelled),
        "corrections": sum(r.corrected for r in labelled),
        "public": len(public),
        "departments": len({r.department_code for r in labelled} | {d for _, d in public}),
    }
    model = repository.add_model(
        session,
        RoutingModel(
            version=repository.next_model_version(session),
            status=RoutingStatus.DRAFT,
            department_model=department_blob,
            category_model=category_blob,
            params={
                **department_model.params,
                "digest": _digest(department_blob, category_blob),
                "holdout_share": holdout_share,
                "correction_weight": CORRECTION_WEIGHT,
            },
            trained_on=counts,
            metrics=metrics,
            created_at=now(),
            created_by=actor.username,
        ),
    )
    audit.record(
        session,
        actor=actor,
        action="routing.model.train",
        object_type="routing_model",
        object_id=model.version,
        summary=f"训练分拨模型 v{model.version}（{counts['cases']} 条案件）",
        details={"trained_on": counts, "metrics": metrics},
    )
    if activate:
        activate_model(session, model.version, actor=actor)
    seconds = (datetime.now() - started).total_seconds()
    return TrainingReport(model=model, seconds=seconds, counts=counts)


def activate_model(session: Session, version: int, *, actor: Actor) -> RoutingModel:
    actor.require(Perm.ROUTING_WRITE)
    row = repository.get_model(session, version)
    if row is None:
        raise NotFound(f"模型版本 {version} 不存在", code="model_not_found")
    if row.status != RoutingStatus.ACTIVE:
        repository.update_models_retire_active(session)
        row.status = RoutingStatus.ACTIVE
        row.activated_at = now()
        audit.record(
            session,
            actor=actor,
            action="routing.model.activate",
            object_type="routing_model",
            object_id=row.version,
            summary=f"启用分拨模型 v{row.version}",
        )
    return row


def list_models(session: Session, *, actor: Actor) -> list[RoutingModel]:
    actor.require(Perm.ROUTING_WRITE)
    return repository.list_models(session)


def evaluate(
    session: Session, rows: Sequence[TrainingRow], *, actor: Actor, version: int | None = None
) -> dict[str, Any]:
    """How a stored model does on the given cases (by default the active one)."""
    actor.require(Perm.ROUTING_WRITE)
    chosen = version if version is not None else repository.active_model_version(session)
    if chosen is None:
        raise NotFound("还没有启用的分拨模型（gridgov routing train --activate）", code="no_model")
    loaded = model_version(session, chosen)
    labelled = [r for r in rows if r.department_code]
    result: dict[str, Any] = {
        "version": chosen,
        "department": scores(
            [r.department_code for r in labelled],
            loaded.department.predict_proba([r.text for r in labelled]) if labelled else [],
        ),
    }
    if loaded.category is not None:
        judged = [r for r in labelled if r.category_code]
        result["category"] = scores(
            [r.category_code or "" for r in judged],
            loaded.category.predict_proba([r.text for r in judged]) if judged else [],
        )
    return result


# ---------------------------------------------------------------------------------------------
# Figures and what-if replay


def metrics(
    session: Session, subject_type: str, *, actor: Actor, months: int = 12
) -> dict[str, Any]:
    """Share dispatched automatically, return rate after automatic dispatch, and accuracy
    (proposal = department that finally took the case), per month and in all."""
    actor.require(Perm.ROUTING_WRITE)
    rows = repository.monthly_figures(session, subject_type, now() - timedelta(days=31 * months))
    total = Counter[str]()
    for row in rows:
        total.update({k: v for k, v in row.items() if k != "month"})

    def ratio(numerator: int, denominator: int) -> float | None:
        return round(numerator / denominator, 4) if denominator else None

    for row in [*rows, total]:
        row["auto_share"] = ratio(row["automatic"], row["decisions"])
        row["auto_return_rate"] = ratio(row["auto_returned"], row["automatic"])
        row["accuracy"] = ratio(row["correct"], row["judged"])
    return {"months": rows, "total": dict(total)}


@dataclass(frozen=True)
class ReplayCase:
    subject_id: int
    code: str
    facts: CaseFacts
    default_department: str | None
    final_department: str | None


@dataclass
class ReplayReport:
    cases: int
    different_from_actual: int
    different_from_current: int
    projected_auto_share: float | None
    current_auto_share: float | None
    expected_return_rate: float | None
    examples: list[dict[str, Any]]


def replay(
    session: Session,
    cases: Sequence[ReplayCase],
    *,
    actor: Actor,
    draft_rules: tuple[int | None, RuleSetSpec | None] | None = None,
    draft_model_version: int | None = None,
    examples: int = 20,
) -> ReplayReport:
    """Run a draft rule set and/or model over past cases and compare with what the active ones
    do and with where the cases actually went. Reads only: nothing live changes."""
    actor.require(Perm.ROUTING_WRITE)
    directory = orgs.department_directory(session)
    current_rules = active_rules(session)
    current_model = active_model(session)
    draft_model = (
        model_version(session, draft_model_version)
        if draft_model_version is not None
        else current_model
    )
    rules = draft_rules if draft_rules is not None else current_rules
    texts = [c.facts.text for c in cases]
    draft_probabilities = (
        draft_model.department.predict_proba(texts) if draft_model and texts else None
    )
    current_probabilities = (
        draft_probabilities
        if current_model is draft_model
        else (current_model.department.predict_proba(texts) if current_model and texts else None)
    )
    differs_actual = differs_current = draft_auto = current_auto = wrong_auto = 0
    shown: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        draft = decide_with(
            case.facts,
            directory=directory,
            default_department=case.default_department,
            rule_set_version=rules[0],
            spec=rules[1],
            model=draft_model,
            probabilities=draft_probabilities[index] if draft_probabilities else None,
        )
        current = decide_with(
            case.facts,
            directory=directory,
            default_department=case.default_department,
            rule_set_version=current_rules[0],
            spec=current_rules[1],
            model=current_model,
            probabilities=current_probabilities[index] if current_probabilities else None,
        )
        proposed = draft.department_code
        if proposed != case.final_department:
            differs_actual += 1
            if len(shown) < examples:
                shown.append(
                    {
                        "id": case.subject_id,
                        "code": case.code,
                        "title": case.facts.title,
                        "actual": _name(directory, case.final_department),
                        "proposed": _name(directory, proposed),
                        "current": _name(directory, current.department_code),
                        "mode": draft.mode,
                        "reason": draft.reason,
                    }
                )
        if proposed != current.department_code:
            differs_current += 1
        if draft.mode == "auto":
            draft_auto += 1
            if proposed != case.final_department:
                wrong_auto += 1
        if current.mode == "auto":
            current_auto += 1
    n = len(cases)
    return ReplayReport(
        cases=n,
        different_from_actual=differs_actual,
        different_from_current=differs_current,
        projected_auto_share=round(draft_auto / n, 4) if n else None,
        current_auto_share=round(current_auto / n, 4) if n else None,
        # A case sent automatically to a department other than the one that finally took it is
        # the case that department would have sent back.
        expected_return_rate=round(wrong_auto / draft_auto, 4) if draft_auto else None,
        examples=shown,
    )


def _name(directory: Mapping[str, orgs.DepartmentRef], code: str | None) -> str:
    if code is None:
        return "（无）"
    found = directory.get(code)
    return found.name if found else code


def parse_rule_set(
    session: Session,
    document: dict[str, Any],
    *,
    actor: Actor,
    categories: Mapping[str, str | None],
) -> RuleSetSpec:
    spec, problems = validate_rule_set(session, document, actor=actor, categories=categories)
    if spec is None:
        raise InvalidInput(
            "规则集有误：" + "；".join(problems[:5]), code="invalid_rule_set", problems=problems
        )
    return spec


def due_for_retraining(session: Session, every: timedelta) -> bool:
    latest = repository.latest_model_at(session)
    return latest is None or now() - latest >= every


def activate_if_better(session: Session, model: RoutingModel, *, actor: Actor) -> bool:
    """The scheduled retraining switches to a new version only when, on its own held-out
    cases, it does at least as well as the active one did on its own."""
    current = repository.active_model_metrics(session)
    new_f1 = (model.metrics.get("department") or {}).get("macro_f1")
    old_f1 = ((current or {}).get("department") or {}).get("macro_f1")
    if current is not None and (new_f1 is None or (old_f1 is not None and new_f1 < old_f1 - 0.01)):
        return False
    activate_model(session, model.version, actor=actor)
    return True
