"""Bugs written AFTER the detectors were frozen (commit "diagnose: detectors frozen").

Nothing here was run through the diagnosis before its expected cause was
written down. The layers are written in other people's styles: a numpy-ml
style dense layer storing ``weight`` (out, in) and an optional ``bias``; a
CS231n-style affine with ``w`` (in, out) and ``b_vec``; micrograd-style
activations; subclasses of scratch's conv, RNN and losses edited the way a
student would. Each entry: (id, acceptable hint kinds, build) where build()
returns (model, x, y, loss); an empty set means no single hint kind names
the cause ("no known signature fits" is then the honest answer).
"""

from __future__ import annotations

import numpy as np
import torch

import scratch
import torch_ref
from torch_ref.links import ParamLink


# -- user layers and their twins ---------------------------------------------------
class NpmlDense:
    """numpy-ml style: Y = X @ weight.T + bias, ``weight`` (out, in)."""

    def __init__(self, n_in, n_out, rng, bias=True):
        self.n_in, self.n_out, self.has_bias = n_in, n_out, bias
        self.params = {"weight": rng.normal(size=(n_out, n_in)) / np.sqrt(n_in)}
        if bias:
            self.params["bias"] = rng.normal(size=n_out) * 0.1
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def describe(self):
        return f"NpmlDense({self.n_in}, {self.n_out}{'' if self.has_bias else ', bias=False'})"

    def forward(self, X):
        self.X = X
        Y = X @ self.params["weight"].T
        if self.has_bias:
            Y = Y + self.params["bias"]
        self.Y = Y
        return Y

    def backward(self, dLdy):
        self.grads["weight"][...] = dLdy.T @ self.X
        if self.has_bias:
            self.grads["bias"][...] = dLdy.sum(axis=0)
        return dLdy @ self.params["weight"]


class Cs231nAffine:
    """CS231n style: out = x @ w + b_vec, ``w`` (in, out); cache kept for backward."""

    def __init__(self, n_in, n_out, rng):
        self.n_in, self.n_out = n_in, n_out
        self.params = {"w": rng.normal(size=(n_in, n_out)) * 0.5,
                       "b_vec": rng.normal(size=n_out) * 0.1}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def describe(self):
        return f"Cs231nAffine({self.n_in}, {self.n_out})"

    def forward(self, x):
        self.cache = (x, self.params["w"], self.params["b_vec"])
        return x @ self.params["w"] + self.params["b_vec"]

    def backward(self, dout):
        x, w, _ = self.cache
        self.grads["w"][...] = x.T @ dout
        self.grads["b_vec"][...] = np.sum(dout, axis=0)
        return dout @ w.T


def _register():
    def dense_torch(layer, dtype, convert):
        return torch.nn.Linear(layer.n_in, layer.n_out, bias=layer.has_bias, dtype=dtype)

    def dense_links(layer):
        links = [ParamLink("weight", "weight", False, "same (out, in)")]
        if layer.has_bias:
            links.append(ParamLink("bias", "bias", False, "same (out,)"))
        return links

    def affine_torch(layer, dtype, convert):
        return torch.nn.Linear(layer.n_in, layer.n_out, dtype=dtype)

    def affine_links(layer):
        return [ParamLink("w", "weight", True, "w (in, out); torch (out, in)"),
                ParamLink("b_vec", "bias", False, "same (out,)")]

    torch_ref.register_twin(NpmlDense, torch.nn.Linear, to_torch=dense_torch,
                            from_torch=None, links=dense_links)
    torch_ref.register_twin(Cs231nAffine, torch.nn.Linear, to_torch=affine_torch,
                            from_torch=None, links=affine_links)


_register()


def _sub(base, name, **methods):
    return type(name, (base,), methods)


# -- dense bugs ----------------------------------------------------------------------
def _dense_bug(name, backward, bias=True):
    return _sub(NpmlDense, name, backward=backward), bias


def _npml_dw_transposed(self, dLdy):
    self.grads["weight"][...] = self.X.T @ dLdy  # (in, out) where (out, in) belongs
    if self.has_bias:
        self.grads["bias"][...] = dLdy.sum(axis=0)
    return dLdy @ self.params["weight"]


def _npml_dx_wrong_transpose(self, dLdy):
    self.grads["weight"][...] = dLdy.T @ self.X
    if self.has_bias:
        self.grads["bias"][...] = dLdy.sum(axis=0)
    return dLdy @ self.params["weight"].T


def _npml_db_mean(self, dLdy):
    self.grads["weight"][...] = dLdy.T @ self.X
    self.grads["bias"][...] = dLdy.mean(axis=0)
    return dLdy @ self.params["weight"]


def _npml_dw_sign(self, dLdy):
    self.grads["weight"][...] = -(dLdy.T @ self.X)
    return dLdy @ self.params["weight"]


def _npml_dw_output(self, dLdy):
    self.grads["weight"][...] = dLdy.T @ self.Y
    if self.has_bias:
        self.grads["bias"][...] = dLdy.sum(axis=0)
    return dLdy @ self.params["weight"]


def _npml_dw_accumulates(self, dLdy):
    self.grads["weight"] += dLdy.T @ self.X
    if self.has_bias:
        self.grads["bias"][...] = dLdy.sum(axis=0)
    return dLdy @ self.params["weight"]


def _affine_dw_over_n(self, dout):
    x, w, _ = self.cache
    self.grads["w"][...] = x.T @ dout / x.shape[0]
    self.grads["b_vec"][...] = np.sum(dout, axis=0)
    return dout @ w.T


def _affine_db_axis1(self, dout):
    x, w, _ = self.cache
    self.grads["w"][...] = x.T @ dout
    self.grads["b_vec"][...] = np.sum(dout, axis=1)  # batch == out here, so it fits
    return dout @ w.T


def _affine_dx_transposed_reshape(self, dout):
    x, w, _ = self.cache
    self.grads["w"][...] = x.T @ dout
    self.grads["b_vec"][...] = np.sum(dout, axis=0)
    return (w @ dout.T).reshape(x.shape)  # (in, N) reshaped to (N, in)


# -- activations (micrograd-ish: the local derivative spelled out) -------------------------
class SigmoidFromInput(scratch.Sigmoid):
    def forward(self, x):
        self.x_in = x
        return super().forward(x)

    def _backward(self, grad_out):
        s = self.x_in
        return grad_out * s * (1 - s)


class TanhOneMinusY(scratch.Tanh):
    def _backward(self, grad_out):
        return grad_out * (1 - self._out)


class ReluMaskGe(scratch.ReLU):
    def forward(self, x):
        self.x_in = x
        return super().forward(x)

    def _backward(self, grad_out):
        return grad_out * (self.x_in >= 0)


class ReluPassThrough(scratch.ReLU):
    def _backward(self, grad_out):
        return grad_out.copy()


class SigmoidSquaredUpstream(scratch.Sigmoid):
    def _backward(self, grad_out):
        y = self._out
        return grad_out * grad_out * y * (1 - y)


class ReluWritesDout(scratch.ReLU):
    def _backward(self, grad_out):
        dx = grad_out
        dx[self._out <= 0] = 0
        return dx


# -- conv ------------------------------------------------------------------------------
class ConvDbMeanPositions(scratch.Conv2d):
    def _backward(self, grad_out):
        dx = super()._backward(grad_out)
        positions = grad_out.shape[2] * grad_out.shape[3]
        self.grads["b"][...] = self.grads["b"] / positions
        return dx


class ConvDwFirstSampleOnly(scratch.Conv2d):
    def _weight_grad(self, grad_rows):
        per_sample = grad_rows @ self._cols.transpose(0, 2, 1)
        return per_sample[0].reshape(self.params["W"].shape)


class ConvDwSign(scratch.Conv2d):
    def _backward(self, grad_out):
        dx = super()._backward(grad_out)
        self.grads["W"][...] = -self.grads["W"]
        return dx


class ConvDxDoubled(scratch.Conv2d):
    def _backward(self, grad_out):
        return 2 * super()._backward(grad_out)


# -- recurrent -------------------------------------------------------------------------
def _bptt(self, grad_out, *, not_t=False, after=False, last=False, no_deriv=False):
    hs = self._out
    w = self.params["W_hh"] if not_t else self.params["W_hh"].T
    grad_pre = np.zeros_like(grad_out)
    carry = np.zeros_like(grad_out[:, 0])
    steps = grad_out.shape[1]
    for t in reversed(range(steps)):
        up = grad_out[:, t] if (not last or t == steps - 1) else 0.0
        deriv = 1.0 if no_deriv else 1 - hs[:, t] ** 2
        grad_pre[:, t] = up * deriv + carry if after else (up + carry) * deriv
        carry = grad_pre[:, t] @ w
    return grad_pre, carry


class RnnWhhNotTransposed(scratch.RNN):
    def _backprop_through_time(self, grad_out):
        return _bptt(self, grad_out, not_t=True)


class RnnCarryAfterTanh(scratch.RNN):
    def _backprop_through_time(self, grad_out):
        return _bptt(self, grad_out, after=True)


class RnnLastUpstreamOnly(scratch.RNN):
    def _backprop_through_time(self, grad_out):
        return _bptt(self, grad_out, last=True)


class RnnNoTanhDerivative(scratch.RNN):
    def _backprop_through_time(self, grad_out):
        return _bptt(self, grad_out, no_deriv=True)


class RnnDwhhFromCurrentState(scratch.RNN):
    def _backward(self, grad_out):
        dx = super()._backward(grad_out)
        grad_pre, _ = self._backprop_through_time(grad_out)
        rows = grad_pre.reshape(-1, self.hidden_size)
        self.grads["W_hh"][...] = self._out.reshape(-1, self.hidden_size).T @ rows  # h_t
        return dx


class RnnBiasLastStepOnly(scratch.RNN):
    def _backward(self, grad_out):
        dx = super()._backward(grad_out)
        grad_pre, _ = self._backprop_through_time(grad_out)
        self.grads["b_ih"][...] = grad_pre[:, -1].sum(axis=0)
        self.grads["b_hh"][...] = self.grads["b_ih"]
        return dx


# -- losses ----------------------------------------------------------------------------
class MseMeanOverBatchOnly(scratch.MSELoss):
    def _backward(self):
        diff = self._cache
        return 2 * diff / diff.shape[0]


class BceGradWrtLogits(scratch.BCELoss):
    def _backward(self):
        p, y = self._cache
        return (p - y) / p.size


class CeNoOnehot(scratch.CrossEntropyLoss):
    def _backward(self):
        exp, labels = self._cache
        probs = exp / exp.sum(axis=1, keepdims=True)
        return probs / probs.shape[0]


class CeSummed(scratch.CrossEntropyLoss):
    def _backward(self):
        return super()._backward() * self._cache[0].shape[0]


class BceLogitsSign(scratch.BCEWithLogitsLoss):
    def _backward(self):
        z, y = self._cache
        return (y - 1 / (1 + np.exp(-z))) / z.size


# -- hosts ------------------------------------------------------------------------------
def _mlp(first, rng, n_in, n_out=2, batch=6):
    model = scratch.Sequential(first, scratch.Tanh(), scratch.Linear(first.n_out, n_out, rng=rng))
    return model, rng.normal(size=(batch, n_in)), rng.normal(size=(batch, n_out)), "mse"


def _dense(backward, n_in=4, n_out=4, bias=True):
    def build():
        rng = np.random.default_rng(11)
        cls = _sub(NpmlDense, "UserDense", backward=backward)
        return _mlp(cls(n_in, n_out, rng, bias=bias), rng, n_in)
    return build


def _affine(backward, n_in=3, n_out=5, batch=6):
    def build():
        rng = np.random.default_rng(12)
        cls = _sub(Cs231nAffine, "UserAffine", backward=backward)
        return _mlp(cls(n_in, n_out, rng), rng, n_in, batch=batch)
    return build


def _act(layer, zeros=False):
    def build():
        rng = np.random.default_rng(13)
        model = scratch.Sequential(scratch.Linear(3, 5, rng=rng), layer,
                                   scratch.Linear(5, 2, rng=rng))
        x = rng.normal(size=(7, 3))
        if zeros:  # a unit fed exact zeros, as a dead ReLU unit is
            model.layers[0].params["W"][:, 1] = 0
            model.layers[0].params["b"][1] = 0
        return model, x, rng.normal(size=(7, 2)), "mse"
    return build


def _conv(cls):
    def build():
        rng = np.random.default_rng(14)
        conv = cls(2, 3, 3, padding=1, rng=rng)
        model = scratch.Sequential(conv, scratch.Tanh(), scratch.Flatten(),
                                   scratch.Linear(3 * 5 * 5, 2, rng=rng))
        return model, rng.normal(size=(3, 2, 5, 5)), rng.normal(size=(3, 2)), "mse"
    return build


def _rnn(cls):
    def build():
        rng = np.random.default_rng(15)
        model = scratch.Sequential(cls(3, 4, rng=rng), scratch.Flatten(),
                                   scratch.Linear(4 * 5, 2, rng=rng))
        return model, rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 2)), "mse"
    return build


def _loss(loss, kind):
    def build():
        rng = np.random.default_rng(16)
        if kind == "ce":
            model = scratch.Sequential(scratch.Linear(3, 4, rng=rng))
            return model, rng.normal(size=(6, 3)), rng.integers(0, 4, size=6), loss
        if kind == "bce":
            model = scratch.Sequential(scratch.Linear(3, 2, rng=rng), scratch.Sigmoid())
            return model, rng.normal(size=(6, 3)), \
                rng.integers(0, 2, size=(6, 2)).astype(float), loss
        model = scratch.Sequential(scratch.Linear(3, 3, rng=rng))
        y = rng.normal(size=(6, 3)) if kind == "mse" else \
            rng.integers(0, 2, size=(6, 3)).astype(float)
        return model, rng.normal(size=(6, 3)), y, loss
    return build


FROZEN_BUGS = [
    ("npml-dW-transposed", {"transpose"}, _dense(_npml_dw_transposed)),
    ("npml-dX-wrong-transpose", {"transpose"}, _dense(_npml_dx_wrong_transpose)),
    ("npml-db-mean-over-batch", {"scale"}, _dense(_npml_db_mean)),
    ("npml-no-bias-dW-sign", {"sign_flip"}, _dense(_npml_dw_sign, bias=False)),
    ("npml-dW-from-output", {"operand"}, _dense(_npml_dw_output, n_in=3, n_out=5)),
    ("npml-dW-accumulates", {"accumulated", "never_written"}, _dense(_npml_dw_accumulates)),
    ("cs231n-dw-divided-by-N", {"scale"}, _affine(_affine_dw_over_n)),
    ("cs231n-db-sum-axis1", {"wrong_axis"}, _affine(_affine_db_axis1, n_out=6, batch=6)),
    ("cs231n-dx-transposed-reshape", {"reshape", "transpose", "permutation"},
     _affine(_affine_dx_transposed_reshape)),
    ("sigmoid-derivative-from-input", {"derivative"}, _act(SigmoidFromInput())),
    ("tanh-one-minus-y", {"derivative"}, _act(TanhOneMinusY())),
    ("relu-mask-ge-zero", {"kink"}, _act(ReluMaskGe(), zeros=True)),
    ("relu-passes-negatives", {"derivative"}, _act(ReluPassThrough())),
    ("sigmoid-upstream-squared", set(), _act(SigmoidSquaredUpstream())),
    ("relu-writes-dout", {"inplace"}, _act(ReluWritesDout())),
    ("conv-db-mean-over-positions", {"scale"}, _conv(ConvDbMeanPositions)),
    ("conv-dW-first-sample-only", set(), _conv(ConvDwFirstSampleOnly)),
    ("conv-dW-sign", {"sign_flip"}, _conv(ConvDwSign)),
    ("conv-dx-doubled", {"scale"}, _conv(ConvDxDoubled)),
    ("rnn-whh-not-transposed", {"transpose"}, _rnn(RnnWhhNotTransposed)),
    ("rnn-carry-after-tanh", {"derivative"}, _rnn(RnnCarryAfterTanh)),
    ("rnn-last-upstream-only", {"operand"}, _rnn(RnnLastUpstreamOnly)),
    ("rnn-no-tanh-derivative", {"derivative"}, _rnn(RnnNoTanhDerivative)),
    ("rnn-dWhh-from-current-state", {"operand"}, _rnn(RnnDwhhFromCurrentState)),
    ("rnn-bias-last-step-only", set(), _rnn(RnnBiasLastStepOnly)),
    ("mse-mean-over-batch-only", {"scale"}, _loss(MseMeanOverBatchOnly(), "mse")),
    ("bce-grad-wrt-logits", {"derivative"}, _loss(BceGradWrtLogits(), "bce")),
    ("ce-no-onehot", {"offset"}, _loss(CeNoOnehot(), "ce")),
    ("ce-summed", {"scale"}, _loss(CeSummed(), "ce")),
    ("bce-logits-sign", {"sign_flip"}, _loss(BceLogitsSign(), "logits")),
]
