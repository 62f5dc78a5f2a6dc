"""Run every mutant through check_model, check_layer and gradcheck; tally kills and blame.

A checker **kills** a mutant when its report fails. It **localizes** the
mutant when the report's first divergence names the right place:

* check_model: the mutant's layer (a loss: the loss stage) and, among that
  layer's failing entries, the one the catalogue flags (its parameter, its
  dL/dinput, its forward output, the loss value or dL/dpred);
* check_layer: the flagged entry of the lone layer (a loss wrapped as a layer:
  its output is the loss value, its dL/dinput is dL/dpred);
* gradcheck: the flagged gradient entry; it cannot see a forward, so for a
  forward bug any failing entry of the lone layer counts;
* lockstep (optimizer mutants only, which the other three cannot judge): the
  first drift is the parameters after an update whose gradients agreed.

A mutant is caught when any checker kills it, and localized when every
checker that killed it localized it.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

import numpy as np

from compare.gradient_check import gradcheck
from compare.layer_check import check_layer
from compare.lockstep_run import lockstep
from compare.model_check import check_model
from compare.report import STATE_UNCHANGED

from .catalogue import INPUT_GRAD, LOSS_VALUE, MUTANTS, OUTPUT, PRED_GRAD, Mutant
from .causes import CAUSES

CHECKERS = ("check_model", "check_layer", "gradcheck", "lockstep")
LOCKSTEP = dict(steps=4, lr=0.1, momentum=0.9)  # an optimizer mutant's training run


@dataclass
class Verdict:
    """One checker's result on one mutant.

    ``caught`` is None when the checker itself raised (``where`` holds the error).
    ``localized`` is None when the mutant was not caught. ``applicable`` is
    False where the checker has nothing to judge (a layer's gradients for an
    optimizer mutant, an optimizer for a layer mutant).
    """

    checker: str
    caught: bool | None
    localized: bool | None
    where: str
    applicable: bool = True


NOT_APPLICABLE = "n/a"


@dataclass
class MutantResult:
    mutant: Mutant
    verdicts: dict = field(default_factory=dict)  # checker -> Verdict
    hint: str | None = None  # kind of check_model's first hint, when it failed

    @property
    def right_hint(self) -> bool | None:
        """Whether check_model's first hint names the cause; None when no cause is written."""
        expected = CAUSES.get(self.mutant.id)
        if not expected or not self.verdicts.get("check_model") \
                or not self.verdicts["check_model"].caught:
            return None
        return self.hint in expected

    @property
    def caught(self) -> bool:
        return any(v.caught for v in self.verdicts.values())

    @property
    def localized(self) -> bool:
        killers = [v for v in self.verdicts.values() if v.caught]
        return bool(killers) and all(v.localized for v in killers)

    @property
    def checker_errors(self) -> list[Verdict]:
        return [v for v in self.verdicts.values() if v.caught is None and v.applicable]


def _entry_matches(entry, flag: str, prefix: str, *, unit_loss: bool) -> bool:
    if unit_loss:  # LossAsLayer: output = loss value, dL/dinput = dL/dpred
        flag = {LOSS_VALUE: OUTPUT, PRED_GRAD: INPUT_GRAD}.get(flag, flag)
    if flag == OUTPUT:
        return entry.kind == "forward"
    if flag == LOSS_VALUE:
        return entry.is_loss and entry.label == "loss"
    if flag == PRED_GRAD:
        return entry.is_loss and entry.label == "dL/dpred"
    if flag == INPUT_GRAD:  # a backward that wrote into its cache or grad_out counts too
        return entry.label in ("dL/dinput", STATE_UNCHANGED)
    return entry.param == prefix + flag


def _verdict(checker, report, expect_layer, flag, prefix, *, unit_loss=False,
             any_entry=False) -> Verdict:
    if report.ok:
        return Verdict(checker, False, None, "passed")
    div = report.first_divergence
    if div is None:
        return Verdict(checker, True, False, "failed without a divergence")
    right_layer = expect_layer is None or div.layer == expect_layer
    right_entry = any_entry or any(_entry_matches(e, flag, prefix, unit_loss=unit_loss)
                                   for e in div.entries)
    return Verdict(checker, True, right_layer and right_entry, div.message)


def _guard(checker, fn) -> Verdict:
    try:
        return fn()
    except Exception as err:  # a checker that crashes on bad code is itself a finding
        last = traceback.format_exception_only(type(err), err)[-1].strip()
        return Verdict(checker, None, None, f"checker raised {last}")


def run_mutant(m: Mutant, seed: int = 0, dtype=np.float64, probes: bool = True) -> MutantResult:
    """Build the mutant's cases from ``seed`` and run the three checkers on them.

    ``probes=False`` switches off compare's decoy forward, exact-zero and
    extreme-prediction probes, for the figures without them.
    """
    result = MutantResult(m)
    is_loss = m.flag in (LOSS_VALUE, PRED_GRAD)
    forward_bug = m.flag in (OUTPUT, LOSS_VALUE)
    off = {} if probes else {"forward_twice": False, "probe_kinks": False}

    def model_check():
        case = m.model_case(seed, dtype)
        report = check_model(case.model, case.x, case.y, case.loss, seed=seed, **off,
                             **({} if probes else {"probe_extremes": False}))
        if not report.ok:
            hints = report.hints
            result.hint = hints[0].kind if hints else None
        return _verdict("check_model", report, case.index, m.flag, case.prefix)

    def layer_check():
        unit = m.unit_case(seed, dtype)
        report = check_layer(unit.layer, unit.reference, unit.x, seed=seed, **off)
        return _verdict("check_layer", report, 0, m.flag, "", unit_loss=is_loss)

    def grad_check():
        unit = m.unit_case(seed, dtype)
        report = gradcheck(unit.layer, unit.x, seed=seed)
        return _verdict("gradcheck", report, 0, m.flag, "", unit_loss=is_loss,
                        any_entry=forward_bug)

    def lockstep_check():
        case = m.model_case(seed, dtype)
        lr, momentum = LOCKSTEP["lr"], LOCKSTEP["momentum"]
        res = lockstep(case.model, case.x, case.y, case.loss, LOCKSTEP["steps"], lr, momentum,
                       scratch_optimizer=lambda model: m.cls(model, lr, momentum))
        if res.ok:
            return Verdict("lockstep", False, None, "passed")
        # an optimizer's bug shows as parameters that differ after an update whose
        # gradients agreed
        return Verdict("lockstep", True, res.failure.kind == "parameter", res.message)

    for name, fn in zip(CHECKERS, (model_check, layer_check, grad_check, lockstep_check),
                        strict=True):
        if (name == "lockstep") != m.is_optimizer:
            result.verdicts[name] = Verdict(name, False, None, NOT_APPLICABLE, applicable=False)
        else:
            result.verdicts[name] = _guard(name, fn)
    return result


def run_all(mutants=None, seed: int = 0, dtype=np.float64,
            probes: bool = True) -> list[MutantResult]:
    """:func:`run_mutant` for every mutant (default: the whole catalogue)."""
    return [run_mutant(m, seed, dtype, probes)
            for m in (MUTANTS if mutants is None else mutants)]


@dataclass(frozen=True)
class Summary:
    total: int
    caught: int
    localized: int
    per_checker: dict  # checker -> (killed, localized, mutants it applies to)
    checker_errors: int

    @property
    def kill_rate(self) -> float:
        return self.caught / self.total if self.total else 0.0

    @property
    def localization_rate(self) -> float:
        """Localized mutants over caught ones."""
        return self.localized / self.caught if self.caught else 0.0


def summarize(results: list[MutantResult]) -> Summary:
    per = {c: (sum(bool(r.verdicts[c].caught) for r in results),
               sum(bool(r.verdicts[c].localized) for r in results),
               sum(r.verdicts[c].applicable for r in results)) for c in CHECKERS}
    return Summary(len(results), sum(r.caught for r in results),
                   sum(r.localized for r in results), per,
                   sum(len(r.checker_errors) for r in results))


def _cell(v: Verdict) -> str:
    if not v.applicable:
        return NOT_APPLICABLE
    if v.caught is None:
        return "ERROR"
    if not v.caught:
        return "missed"
    return "killed, localized" if v.localized else "killed, MISPLACED"


def render_table(results: list[MutantResult]) -> str:
    """A Markdown table: one row per mutant, one column per checker, then the totals."""
    head = ("| mutant | breaks | should flag | reveals | " + " | ".join(CHECKERS) + " |\n"
            "|---|---|---|---|" + "---|" * len(CHECKERS))
    rows = [f"| `{r.mutant.id}` | {r.mutant.breaks.__name__} | {r.mutant.flag} | "
            f"{r.mutant.reveals} | " + " | ".join(_cell(r.verdicts[c]) for c in CHECKERS) + " |"
            for r in results]
    s = summarize(results)
    totals = ("| **all** | | | | " + " | ".join(
        f"{k}/{n} killed, {loc} localized" for k, loc, n in
        (s.per_checker[c] for c in CHECKERS)) + " |")
    return "\n".join([head, *rows, totals])


def render_summary(results: list[MutantResult]) -> str:
    s = summarize(results)
    lines = [f"mutants: {s.total}",
             f"caught (by any checker): {s.caught}/{s.total} = {100 * s.kill_rate:.1f}%",
             f"localized (every checker that caught it named the right layer and entry): "
             f"{s.localized}/{s.caught} = {100 * s.localization_rate:.1f}%"]
    for c in CHECKERS:
        k, loc, n = s.per_checker[c]
        lines.append(f"  {c:<12} killed {k}/{n}, localized {loc}/{k}")
    judged = [r.right_hint for r in results if r.right_hint is not None]
    if judged:
        lines.append(f"right hint (check_model's first hint names the written-down cause, over "
                     f"caught mutants that have one): {sum(judged)}/{len(judged)} = "
                     f"{100 * sum(judged) / len(judged):.1f}%")
    if s.checker_errors:
        lines.append(f"checker errors: {s.checker_errors}")
    missed = [r.mutant.id for r in results if not r.caught]
    if missed:
        lines.append("missed: " + ", ".join(missed))
    misplaced = [r.mutant.id for r in results if r.caught and not r.localized]
    if misplaced:
        lines.append("misplaced: " + ", ".join(misplaced))
    return "\n".join(lines)
