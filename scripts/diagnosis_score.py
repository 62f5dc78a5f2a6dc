"""How often does the report name the right cause? Runs bug catalogues through the checks.

For each bug the first hint of its report (``report.hints[0].kind``) is
compared with the cause the bug's author intended (a set of acceptable hint
kinds, written down before looking at the output):

* ``mutants``: THE bug catalogue (twinnet/mutants), each mutant in its host
  model, with the causes of twinnet/mutants/causes.py. The broken layers the
  tests use are this catalogue's classes;
* ``planted``: the diagnosis tests' placements (tests/compare/diagnose): some
  catalogue bugs in hosts and inputs of their own (an exact 0 into ReLU, a
  logit of -900), plus a few layers written in other styles; built alongside
  the detectors -- it shows each signature works, not how general they are;
* ``frozen``: 30 bugs written after the detectors were frozen (scripts/frozen_bugs.py),
  kept apart from the catalogue on purpose, in other people's styles, with
  their expected causes written before any run: the honest measure of how
  general the detectors are.

A bug with no detector for its cause (a wrong formula, a gradient routed to
the wrong element) expects nothing: "no known signature fits" is then the
honest answer, counted as ``unexplained``, not as a right cause. A hint of
another kind is printed in full so it can be judged.

Usage: python scripts/diagnosis_score.py [mutants|planted|frozen ...]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compare import check_model  # noqa: E402


def planted_catalogue():
    import importlib.util

    from tests.compare.diagnose.planted_layers import CASES
    from tests.compare.diagnose.planted_models import MODEL_CASES

    for case in CASES + MODEL_CASES:
        if case.requires and importlib.util.find_spec(case.requires) is None:
            continue  # that check is not in this checkout yet
        yield case.name, {case.kind}, (lambda c=case: c.run()), case.time_axis


# The cause each mutant's docstring describes, as the hint kinds that would name it,
# written down from the catalogue's docstrings before running it. Kinds the
# diagnosis does not have (yet) are listed too: "operand" (a product with the
# wrong operand), "inplace" (an array overwritten in place), "clamp" (a clamp
# or eps that differs from torch's); such a mutant can only score "unexplained".
from twinnet.mutants.causes import CAUSES as MUTANT_CAUSES  # noqa: E402


def mutants_catalogue():
    from twinnet.mutants import MUTANTS

    for m in MUTANTS:
        yield m.id, MUTANT_CAUSES.get(m.id, set()), (lambda m=m: _check_mutant(m)), None


def _check_mutant(m):
    case = m.model_case()
    return check_model(case.model, case.x, case.y, case.loss)


def frozen_catalogue():
    from scripts.frozen_bugs import FROZEN_BUGS

    for bug, expected, build in FROZEN_BUGS:
        yield bug, expected, (lambda b=build: check_model(*b())), None


CATALOGUES = {"mutants": mutants_catalogue, "planted": planted_catalogue,
              "frozen": frozen_catalogue}


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
