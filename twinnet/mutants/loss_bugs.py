"""Broken losses: MSE, BCE, BCE with logits and softmax cross-entropy, one bug each.

Shapes follow scratch: pred and target (batch, k), or for cross-entropy logits
(batch, C) and integer labels (batch,). Every loss here is built with the
default reduction "mean", so N is pred.size (batch for cross-entropy).
"""

from __future__ import annotations

import numpy as np

import scratch

from .catalogue import LOSS_VALUE, PRED_GRAD, mutant

TORCH_BCE_EPS = float(np.float32(1e-12))  # torch's clamp on p (1 - p), a C float

# -- MSE -----------------------------------------------------------------------------


@mutant("mse-missing-2", PRED_GRAD, "loss",
        origin="d/dp (p - y)**2 written as (p - y)")
class MSEMissingFactor2(scratch.MSELoss):
    """dL/dpred = (pred - target) / N, without the 2."""

    def _backward(self):
        return self._cache * self._scale(self._cache.size)


@mutant("mse-not-divided-by-n", PRED_GRAD, "loss",
        origin="mean in forward, sum's gradient in backward")
class MSENotDividedByN(scratch.MSELoss):
    """Forward takes the mean, backward returns the gradient of the sum: 2 (pred - target)."""

    def _backward(self):
        return 2 * self._cache


@mutant("mse-wrong-sign", PRED_GRAD, "loss",
        origin="(target - pred) from the textbook's 'error' convention")
class MSEWrongSign(scratch.MSELoss):
    """dL/dpred = 2 (target - pred) / N."""

    def _backward(self):
        return -super()._backward()


# -- BCE -----------------------------------------------------------------------------


@mutant("bce-not-divided-by-n", PRED_GRAD, "loss",
        origin="the lecture's summed BCE gradient used with a mean loss")
class BCENotDividedByN(scratch.BCELoss):
    """Forward takes the mean, backward forgets to divide by N."""

    def _backward(self):
        p, y = self._cache
        return (p - y) / np.maximum(p * (1 - p), TORCH_BCE_EPS)


@mutant("bce-wrong-sign", PRED_GRAD, "loss",
        origin="dL/dp = (y - p) / (p (1 - p)): the sign of the log-likelihood, not the loss")
class BCEWrongSign(scratch.BCELoss):
    """Returns the gradient of the log-likelihood, (y - p) / (p (1 - p)) / N."""

    def _backward(self):
        return -super()._backward()


@mutant("bce-eps-1e-7", PRED_GRAD, "loss", reveals="p (1 - p) < 1e-7: a saturated sigmoid",
        origin="Keras-style epsilon 1e-7 where torch clamps p (1 - p) at 1e-12")
class BCEClampTooLarge(scratch.BCELoss):
    """Clamps p (1 - p) at 1e-7 instead of torch's 1e-12."""

    def _backward(self):
        p, y = self._cache
        return (p - y) / np.maximum(p * (1 - p), 1e-7) * self._scale(p.size)


@mutant("bce-log-clamp-10", LOSS_VALUE, "loss", reveals="p < e**-10 or p > 1 - e**-10",
        origin="clamping log at -10 (or clipping p to [4.5e-5, 1]) where torch uses -100")
class BCELogClampMinus10(scratch.BCELoss):
    """Clamps log(p) and log(1 - p) at -10 instead of torch's -100."""

    def _forward(self, pred, target):
        self._cache = (pred, target)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(pred), -10)
            log_1mp = np.maximum(np.log1p(-pred), -10)
        return -self._reduce(target * log_p + (1 - target) * log_1mp)


@mutant("bce-logits-missing-sigmoid", PRED_GRAD, "loss",
        origin="dL/dz = (z - y) / N: the logits used as if they were probabilities")
class BCEWithLogitsMissingSigmoid(scratch.BCEWithLogitsLoss):
    """dL/dz = (z - y) / N, with the raw logit where sigmoid(z) belongs."""

    def _backward(self):
        z, y = self._cache
        return (z - y) * self._scale(z.size)


@mutant("bce-logits-naive-forward", LOSS_VALUE, "loss", reveals="a logit beyond +-37 (float64)",
        origin="sigmoid followed by plain BCE: log(1 - sigmoid(z)) = log(0) once z saturates")
class BCEWithLogitsNaiveForward(scratch.BCEWithLogitsLoss):
    """Computes -[y log s + (1 - y) log(1 - s)] with s = sigmoid(z), unclamped."""

    def _forward(self, z, target):
        self._cache = (z, target)
        s = scratch.sigmoid(z)
        with np.errstate(divide="ignore", invalid="ignore"):
            per = -(target * np.log(s) + (1 - target) * np.log(1 - s))
        return self._reduce(per)


# -- softmax cross-entropy -------------------------------------------------------------


@mutant("ce-missing-onehot", PRED_GRAD, "loss",
        origin="dL/dz = softmax(z): the -1 at the true class is forgotten")
class CrossEntropyMissingOneHot(scratch.CrossEntropyLoss):
    """dL/dz = softmax(z) / N, without subtracting 1 at the label."""

    def _backward(self):
        probs, labels = self._cache
        return probs * self._scale(labels.shape[0])


@mutant("ce-not-divided-by-batch", PRED_GRAD, "loss",
        origin="mean over the batch in forward, the sum's gradient in backward")
class CrossEntropyNotDividedByBatch(scratch.CrossEntropyLoss):
    """Forward averages over the batch, backward does not divide by it."""

    def _backward(self):
        probs, labels = self._cache
        grad = probs.copy()
        grad[np.arange(labels.shape[0]), labels] -= 1
        return grad


@mutant("ce-divided-by-all-elements", PRED_GRAD, "loss",
        origin="dividing by logits.size (batch * classes) as MSE does, not by the batch")
class CrossEntropyDividedByElements(scratch.CrossEntropyLoss):
    """Divides the gradient by batch * classes instead of batch."""

    def _backward(self):
        return super()._backward() / self._cache[0].shape[1]


@mutant("ce-no-max-shift", LOSS_VALUE, "loss", reveals="a logit above ~709 (float64)",
        origin="softmax as exp(z) / sum(exp(z)) without subtracting the row maximum")
class CrossEntropyNoMaxShift(scratch.CrossEntropyLoss):
    """Softmax without subtracting the row maximum: exp overflows for large logits."""

    def _forward(self, z, labels):
        with np.errstate(over="ignore", invalid="ignore"):
            exp = np.exp(z)
            sum_exp = exp.sum(axis=1, keepdims=True)
            rows = np.arange(z.shape[0])
            per_sample = np.log(sum_exp[:, 0]) - z[rows, labels]
            self._cache = (exp / sum_exp, labels)
        return self._reduce(per_sample)


@mutant("bce-logits-exp-overflow", LOSS_VALUE, "loss", reveals="a logit below about -709 "
        "(float64)", origin="log(1 + exp(-z)) evaluated directly instead of a stable softplus")
class BCEWithLogitsExpOverflow(scratch.BCEWithLogitsLoss):
    """Computes (1 - y) z + log(1 + exp(-z)) directly: exp(-z) overflows for very negative z."""

    def _forward(self, z, target):
        self._cache = (z, target)
        with np.errstate(over="ignore"):
            per = (1 - target) * z + np.log(1 + np.exp(-z))
        return self._reduce(per)
