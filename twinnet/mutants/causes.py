"""The cause each mutant's report should name: the acceptable kinds of its first hint.

Written down per mutant (see ``compare.diagnose.hint.KINDS``); an empty set means
no single hint kind names the cause, so "no known signature fits" is the honest
answer. ``twinnet mutants`` reports the right-hint rate over the mutants that have
a cause and were caught; ``scripts/diagnosis_score.py mutants`` prints every hint.
"""

from __future__ import annotations

CAUSES: dict[str, set] = {
    "linear-dW-transposed": {"transpose"},
    "linear-dx-uses-W": {"transpose"},
    "linear-dW-uses-output": {"operand"},
    "linear-db-first-row": {"wrong_axis"},
    "linear-db-mean": {"scale"},
    "linear-grads-averaged-twice": {"scale"},
    "linear-dW-accumulates": {"accumulated"},
    "linear-stale-input": {"stateful"},
    "sigmoid-no-derivative": {"derivative"},
    "sigmoid-derivative-at-input": {"derivative"},
    "sigmoid-ignores-upstream": {"derivative"},
    "sigmoid-wrong-sign": {"sign_flip"},
    "tanh-derivative-at-input": {"derivative"},
    "tanh-derivative-not-squared": {"derivative"},
    "relu-mask-output-ge-0": {"derivative"},
    "relu-grad-at-zero": {"kink"},
    "relu-ignores-upstream": {"derivative"},
    "relu-inplace-overwrites-input": {"inplace"},
    "tanh-inplace-clobbers-cache": {"inplace"},
    "step-straight-through": {"zeros", "derivative"},
    "linsig-no-sigmoid-derivative": {"derivative"},
    "linsig-derivative-at-preactivation": {"derivative"},
    "linsig-grad-in-skips-derivative": {"derivative"},
    "linsig-dW-transposed": {"transpose"},
    "mse-missing-2": {"scale"},
    "mse-not-divided-by-n": {"scale"},
    "mse-wrong-sign": {"sign_flip"},
    "bce-not-divided-by-n": {"scale"},
    "bce-wrong-sign": {"sign_flip"},
    "bce-eps-1e-7": {"clamp"},
    "bce-log-clamp-10": {"clamp"},
    "bce-logits-missing-sigmoid": {"operand"},
    "bce-logits-naive-forward": {"nonfinite"},
    "ce-missing-onehot": {"offset"},
    "ce-not-divided-by-batch": {"scale"},
    "ce-divided-by-all-elements": {"scale"},
    "ce-no-max-shift": {"nonfinite"},
    # Added to the catalogue later; registered after a first run had been seen.
    "rnn-bptt-one-step-short": {"localized"},
    "rnn-truncated-to-one-step": {"localized"},
    "rnn-b_hh-grad-never-written": {"never_written"},
    "conv-dW-kernel-flipped": {"flip"},
    "conv-dx-kernel-flipped": {"flip"},
    "conv-db-mean-over-positions": {"scale"},
    "conv-col2im-overwrites": set(),
    "maxpool-grad-to-every-tied-max": {"kink"},
    "maxpool-grad-spread-evenly": set(),
    "softmax-diagonal-jacobian": {"derivative"},
    # Issue 13's kinds (twinnet/mutants/judgement_bugs.py), written before their first run.
    "deep-linear-dW-sign-flip": {"sign_flip"},
    "deep-linear-dx-transposed": {"transpose"},
    "linear-dW-float32": {"float32_cast"},
    "tanh-backward-squares-cache": {"stateful"},
    "tanh-backward-writes-grad-out": {"inplace"},
    "rnn-W_hh-not-transposed-in-bptt": {"transpose"},
    "rnn-recurrent-grad-after-tanh": {"derivative"},
    "rnn-only-last-step-upstream": {"operand"},
}
