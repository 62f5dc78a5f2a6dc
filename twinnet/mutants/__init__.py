"""Mutation testing for twinnet's checker: realistic backprop bugs it must catch.

``catalogue`` holds the registry (:data:`MUTANTS`) and the models that host
each mutant; ``layer_bugs``, ``loss_bugs``, ``deep_bugs`` (RNN, Conv2d,
MaxPool2d, Softmax) and ``optim_bugs`` (momentum SGD) hold the broken classes;
``runner`` runs every mutant through compare's checks and tallies the kill
and localization rates (``twinnet mutants`` prints them).

This is the one bug catalogue: the tests' broken layers, the diagnosis tests'
planted bugs and ``scripts/diagnosis_score.py`` all use these classes. Only
``scripts/frozen_bugs.py`` stays apart on purpose (bugs written after the
diagnosis detectors were frozen, for an honest score).
"""

from . import deep_bugs as _deep_bugs  # noqa: F401  (registers RNN/Conv/pool/softmax mutants)
from . import judgement_bugs as _judgement_bugs  # noqa: F401  (issue 13's bug kinds)
from . import layer_bugs as _layer_bugs  # noqa: F401  (registers the layer mutants)
from . import loss_bugs as _loss_bugs  # noqa: F401  (registers the loss mutants)
from . import optim_bugs as _optim_bugs  # noqa: F401  (registers the optimizer mutants)
from .catalogue import MUTANTS, LossAsLayer, ModelCase, Mutant, UnitCase, by_id
from .runner import (
    MutantResult,
    Summary,
    Verdict,
    render_summary,
    render_table,
    run_all,
    run_mutant,
    summarize,
)

# Catalogue order: dense layers and activations, losses, image/sequence layers, optimizers.
_FAMILIES = ("layer_bugs", "loss_bugs", "deep_bugs", "judgement_bugs", "optim_bugs")
MUTANTS.sort(key=lambda m: _FAMILIES.index(m.cls.__module__.rsplit(".", 1)[-1]))

__all__ = [
    "MUTANTS", "LossAsLayer", "ModelCase", "Mutant", "MutantResult", "Summary", "UnitCase",
    "Verdict", "by_id", "render_summary", "render_table", "run_all", "run_mutant", "summarize",
]
