"""Diagnose, don't just detect: recognise the classic signatures of backprop bugs.

``diagnose_pair(a, b, ...)`` explains one scratch/reference pair;
``diagnose(report)`` explains a whole ``compare`` report. Each hint states the
evidence behind it; when nothing fits, the hint says so (kind ``unexplained``).
"""

from .hint import KINDS, Hint, PairContext
from .pair import diagnose_pair
from .zeros import second_pass_hints

__all__ = ["KINDS", "Hint", "PairContext", "diagnose_pair", "second_pass_hints"]
