"""How often does the report name the right cause? Runs bug catalogues through the checks.

For each planted bug the first hint of its report (``report.hints[0].kind``)
is compared with the cause the bug's author intended (a set of acceptable
hint kinds, written down below before looking at the output):

* ``planted``: the diagnosis tests' own catalogue (tests/compare/diagnose),
  built alongside the detectors -- it shows each signature works, not how
  general they are;
* ``broken``: the compare helper's planted bugs (tests/compare/broken.py),
  written independently of the diagnosis;
* ``conv``: the conv/pool/RNN helper's planted bugs
  (tests/scratch/broken_conv_layers.py);
* ``mutants``: the mutation catalogue (twinnet/mutants), when it is present;
* ``frozen``: 30 bugs written after the detectors were frozen (scripts/frozen_bugs.py),
  in other people's styles, with their expected causes written before any run:
  the honest measure of how general the detectors are.

A bug with no detector for its cause (a wrong formula, a gradient routed to
the wrong element) expects nothing: "no known signature fits" is then the
honest answer, counted as ``unexplained``, not as a right cause. A hint of
another kind is printed in full so it can be judged.

Usage: python scripts/diagnosis_score.py [planted|broken|conv|mutants ...]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scratch  # noqa: E402
from compare import check_model  # noqa: E402


def planted_catalogue():
    import importlib.util

    from tests.compare.diagnose.planted_layers import CASES
    from tests.compare.diagnose.planted_models import MODEL_CASES

    for case in CASES + MODEL_CASES:
        if case.requires and importlib.util.find_spec(case.requires) is None:
            continue  # that check is not in this checkout yet
        yield case.name, {case.kind}, (lambda c=case: c.run()), case.time_axis


def broken_catalogue():
    """tests/compare/broken.py, each class in a small host like its test."""
    from tests.compare import broken as b

    def data(seed, batch=5, n_in=3):
        rng = np.random.default_rng(seed)
        return rng, rng.normal(size=(batch, n_in))

    def mlp(middle, seed):
        rng, x = data(seed)
        model = scratch.Sequential(scratch.Linear(3, 4, rng=rng), middle,
                                   scratch.Linear(4, 1, rng=rng))
        # A second backward is what shows a backward that corrupts its own cache.
        return check_model(model, x, rng.normal(size=(5, 1)), "mse", backward_twice=True)

    def linear(cls, seed, n_out=3):
        rng, x = data(seed)
        model = scratch.Sequential(scratch.Linear(3, 3, rng=rng), scratch.Tanh(),
                                   cls(3, n_out, rng=rng))
        return check_model(model, x, rng.normal(size=(5, n_out)), "mse")

    def relu_at_zero():
        rng, x = data(5, n_in=4)
        x[0, 1] = x[3, 2] = 0.0
        model = scratch.Sequential(b.ReLUWrongSideOfZero(), scratch.Linear(4, 1, rng=rng))
        return check_model(model, x, rng.normal(size=(5, 1)), "mse")

    def loss_case(loss, target):
        rng, x = data(10)
        model = scratch.Sequential(scratch.Linear(3, 3, rng=rng))
        return check_model(model, x, target(rng), loss)

    def net_no_transpose():
        rng, x = data(11)
        net = scratch.Net(3, 3, rng=rng)
        net.l1 = b.LinearSigmoidNoTranspose(3, 3, rng=rng)
        return check_model(net, x, np.array([1, 0, 1, 1, 0]))

    yield "SigmoidMissingDerivative", {"derivative"}, \
        lambda: mlp(b.SigmoidMissingDerivative(), 0), None
    yield "LinearTransposedWeightGrad", {"transpose"}, \
        lambda: linear(b.LinearTransposedWeightGrad, 1), None
    yield "TanhFlippedSign", {"sign_flip"}, lambda: mlp(b.TanhFlippedSign(), 3), None
    yield "MSENotDividedByBatch", {"scale"}, \
        lambda: loss_case(b.MSENotDividedByBatch(), lambda r: r.normal(size=(5, 3))), None
    yield "ReLUWrongSideOfZero", {"kink"}, relu_at_zero, None
    yield "LinearAccumulatingGrad", {"accumulated"}, \
        lambda: linear(b.LinearAccumulatingGrad, 6, n_out=2), None
    yield "LinearBiasGradMean", {"scale"}, lambda: linear(b.LinearBiasGradMean, 7), None
    yield "SigmoidCorruptsCache", {"stateful"}, lambda: mlp(b.SigmoidCorruptsCache(), 8), None
    yield "TanhWrongForward", set(), lambda: mlp(b.TanhWrongForward(), 9), None
    yield "CrossEntropyNoOneHot", {"offset"}, \
        lambda: loss_case(b.CrossEntropyNoOneHot(), lambda r: np.array([0, 2, 1, 1, 0])), None
    yield "LinearSigmoidNoTranspose", {"transpose"}, net_no_transpose, None


def conv_catalogue():
    """tests/scratch/broken_conv_layers.py, hosted as in tests/compare/test_check_model_conv.py."""
    from tests.scratch import broken_conv_layers as bc

    def cnn(rng, conv1=scratch.Conv2d, conv2=scratch.Conv2d, pool=scratch.MaxPool2d):
        return scratch.Sequential(
            conv1(2, 3, (3, 2), stride=1, padding=1, rng=rng), scratch.ReLU(), pool(2, 1),
            conv2(3, 2, 3, stride=2, padding=(1, 0), rng=rng), scratch.Tanh(),
            scratch.Flatten(), scratch.Linear(2 * 3 * 2, 3, rng=rng))

    def run_cnn(seed=1, zero_channel=False, **kwargs):
        rng = np.random.default_rng(seed)
        model = cnn(rng, **kwargs)
        if zero_channel:  # exact ties in every pooling window of channel 1
            model[0].params["W"][1] = 0
            model[0].params["b"][1] = 0
        x = rng.normal(size=(4, 2, 7, 6))
        return check_model(model, x, rng.integers(0, 3, 4), "cross_entropy")

    def run_rnn(**kwargs):
        rng = np.random.default_rng(3)
        model = scratch.Sequential(kwargs.get("rnn1", scratch.RNN)(3, 4, rng=rng),
                                   kwargs.get("rnn2", scratch.RNN)(4, 2, rng=rng),
                                   scratch.Flatten(), scratch.Linear(2 * 5, 3, rng=rng))
        x = rng.normal(size=(3, 5, 3))
        return check_model(model, x, rng.integers(0, 3, 3), "cross_entropy")

    yield "ConvKernelNotFlipped (conv1)", {"flip"}, \
        lambda: run_cnn(conv1=bc.ConvKernelNotFlipped), None
    yield "ConvKernelNotFlipped (conv2)", {"flip"}, \
        lambda: run_cnn(conv2=bc.ConvKernelNotFlipped), None
    yield "ConvChannelsReshapedNotTransposed", {"reshape"}, \
        lambda: run_cnn(conv2=bc.ConvChannelsReshapedNotTransposed), None
    yield "ConvWeightGradTransposed (conv1)", {"reshape", "permutation"}, \
        lambda: run_cnn(conv1=bc.ConvWeightGradTransposed), None
    yield "ConvWeightGradTransposed (conv2)", {"reshape", "permutation"}, \
        lambda: run_cnn(conv2=bc.ConvWeightGradTransposed), None
    yield "PoolGradToWindowCorner", set(), lambda: run_cnn(pool=bc.PoolGradToWindowCorner), None
    yield "PoolTiesToLastMaximum", {"kink"}, \
        lambda: run_cnn(seed=2, zero_channel=True, pool=bc.PoolTiesToLastMaximum), None
    yield "RNNOneStepShort (rnn1)", {"localized"}, \
        lambda: run_rnn(rnn1=bc.RNNOneStepShort), None
    yield "RNNOneStepShort (rnn2)", {"localized"}, \
        lambda: run_rnn(rnn2=bc.RNNOneStepShort), None


# The cause each mutant's docstring describes, as the hint kinds that would name it,
# written down from the catalogue's docstrings before running it. Kinds the
# diagnosis does not have (yet) are listed too: "operand" (a product with the
# wrong operand), "inplace" (an array overwritten in place), "clamp" (a clamp
# or eps that differs from torch's); such a mutant can only score "unexplained".
from twinnet.mutants.causes import CAUSES as MUTANT_CAUSES  # noqa: E402


def mutants_catalogue():
    try:
        from twinnet.mutants.catalogue import MUTANTS
    except ImportError:
        return
    for m in MUTANTS:
        yield m.id, MUTANT_CAUSES.get(m.id, set()), (lambda m=m: _check_mutant(m)), None


def _check_mutant(m):
    case = m.model_case()
    return check_model(case.model, case.x, case.y, case.loss)


def frozen_catalogue():
    from scripts.frozen_bugs import FROZEN_BUGS

    for bug, expected, build in FROZEN_BUGS:
        yield bug, expected, (lambda b=build: check_model(*b())), None


CATALOGUES = {"planted": planted_catalogue, "broken": broken_catalogue, "conv": conv_catalogue,
              "mutants": mutants_catalogue, "frozen": frozen_catalogue}


def score(name: str) -> Counter:
    """Run one catalogue; print one line per bug; return the tally."""
    from compare.diagnose import diagnose

    tally = Counter()
    for bug, expected, run, time_axis in CATALOGUES[name]():
        try:
            report = run()
        except Exception as err:  # a bug that crashes the check is a result too
            tally["check raised"] += 1
            print(f"  {name:8s} {bug:45s} check raised {type(err).__name__}: {err}")
            continue
        if report.ok:
            tally["not caught"] += 1
            print(f"  {name:8s} {bug:45s} not caught")
            continue
        hints = diagnose(report, time_axis=time_axis) if time_axis is not None else report.hints
        got = hints[0].kind if hints else "(no hint)"
        if got in expected:
            verdict = "right cause"
        elif got in ("unexplained", "(no hint)"):  # no cause named either way
            verdict = "unexplained"
        else:
            verdict = "other kind"
        tally[verdict] += 1
        print(f"  {name:8s} {bug:45s} {verdict:12s} got {got}, expected {sorted(expected)}")
        if verdict == "other kind":
            print(f"  {'':8s} {'':45s} {hints[0].message}")
    return tally


def main(argv: list[str]) -> int:
    names = argv or list(CATALOGUES)
    rows = []
    for name in names:
        tally = score(name)
        total = sum(tally.values())
        if total == 0:
            print(f"  {name}: catalogue not available")
            continue
        rows.append((name, total, tally))
    print()
    print("catalogue  bugs  right cause  no signature fits  another kind  not caught  "
          "share right  share wrong")
    for name, total, t in rows:
        print(f"{name:9s}  {total:4d}  {t['right cause']:11d}  {t['unexplained']:17d}  "
              f"{t['other kind']:12d}  {t['not caught'] + t['check raised']:10d}  "
              f"{t['right cause'] / total:11.0%}  {t['other kind'] / total:11.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
