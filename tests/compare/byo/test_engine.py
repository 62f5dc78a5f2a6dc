"""check_engine on two hand-written engines (numpy Tensor, scalar Value): right ones pass,
planted one-line bugs fail at the input they touch."""

import numpy as np
import pytest
import torch

from compare import check_engine
from tests.compare.byo.tiny_engines import Tensor, Value, unbroadcast

rng = np.random.default_rng(33)
X, W, B = rng.normal(size=(4, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)


def tensor_hooks(cls=Tensor):
    return dict(to_engine=cls, to_numpy=lambda t: t.data, grad=lambda t: t.grad,
                backward=lambda out, g: out.backward(g))


def dense(x, W, b):
    return (x @ W + b).tanh()


def dense_ref(x, W, b):
    return torch.tanh(x @ W + b)


def relu_sq(x, W, b):
    h = (x @ W).relu()
    return h * h + b  # h used twice: its gradient must add up


@pytest.mark.parametrize("fn, ref", [(dense, dense_ref),
                                     (relu_sq, lambda x, W, b: torch.relu(x @ W) ** 2 + b)])
@pytest.mark.parametrize("oracle", ["torch", "finite differences"])
def test_tensor_engine_passes(fn, ref, oracle):
    report = check_engine(fn, ref if oracle == "torch" else None, X, W, B, **tensor_hooks())
    assert report.ok, report
    assert [e.label for e in report.entries if e.label.startswith("dL/d")] == \
        ["dL/dx", "dL/dW", "dL/db"]


class MatmulTransposed(Tensor):
    def __matmul__(self, other):
        out = self._make(self.data @ other.data, (self, other))

        def _backward():
            self.grad += out.grad @ other.data.T
            other.grad += (self.data.T @ out.grad).T  # square W hides the shape
        out._backward = _backward
        return out


class AddNoUnbroadcastKeepdims(Tensor):
    def __add__(self, other):
        out = self._make(self.data + other.data, (self, other))

        def _backward():
            self.grad = self.grad + unbroadcast(out.grad, self.data.shape)
            other.grad = other.grad + out.grad.sum(axis=0, keepdims=True)
        out._backward = _backward
        return out


class TanhWrongDerivative(Tensor):
    def tanh(self):
        t = np.tanh(self.data)
        out = self._make(t, (self,))

        def _backward():
            self.grad += (1 - t) * out.grad  # 1 - t where 1 - t**2 belongs
        out._backward = _backward
        return out


class MulAssigns(Tensor):
    def __mul__(self, other):
        out = self._make(self.data * other.data, (self, other))

        def _backward():  # = instead of +=: a node used twice keeps one contribution
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad
        out._backward = _backward
        return out


@pytest.mark.parametrize("cls, fn, label, hint", [
    (MatmulTransposed, dense, "dL/dW", "transpose"),
    (AddNoUnbroadcastKeepdims, dense, "dL/db", "reshape"),
    (TanhWrongDerivative, dense, "dL/db", None),
    (MulAssigns, relu_sq, "dL/dx", "scale"),
])
def test_tensor_engine_bugs_fail_at_their_input(cls, fn, label, hint):
    report = check_engine(fn, None, X, W, B, **tensor_hooks(cls))
    assert not report.ok
    assert label in [e.label for e in report.failures], report
    if hint:
        assert hint in [h.kind for h in report.hints], report.hints


def value_hooks(cls=Value):
    def to_engine(a):
        return np.vectorize(cls, otypes=[object])(a)

    def backward(out, g):
        total = cls(0.0)
        for o, gi in zip(np.ravel(out), np.ravel(g), strict=True):
            total = total + o * float(gi)
        total.backward()

    return dict(to_engine=to_engine, backward=backward,
                to_numpy=lambda o: np.vectorize(lambda v: v.data, otypes=[float])(o),
                grad=lambda o: np.vectorize(lambda v: v.grad, otypes=[float])(o))


def neuron(x, w):
    rows = []
    for row in x:
        s = row[0] * w[0]
        for xi, wi in zip(row[1:], w[1:], strict=True):
            s = s + xi * wi
        rows.append((s ** 2 * 0.5 + (s + s)).tanh())  # s + s: both gradients must add
    return np.array(rows, dtype=object)


def neuron_ref(x, w):
    return torch.tanh(0.5 * (x @ w) ** 2 + 2 * (x @ w))


def test_value_engine_passes():
    report = check_engine(neuron, neuron_ref, X, W[:, 0].copy(), **value_hooks())
    assert report.ok, report


class MulUsesGrad(Value):
    def __mul__(self, other):
        other = self._lift(other)
        out = self._make(self.data * other.data, (self, other))

        def _backward():  # the classic: other.grad where other.data belongs
            self.grad += other.grad * out.grad
            other.grad += self.grad * out.grad
        out._backward = _backward
        return out


class PowOffByOne(Value):
    def __pow__(self, k):
        out = self._make(self.data ** k, (self,))

        def _backward():
            self.grad += k * self.data ** k * out.grad
        out._backward = _backward
        return out


class TanhHalf(Value):
    def tanh(self):
        import math
        t = math.tanh(self.data)
        out = self._make(t, (self,))

        def _backward():
            self.grad += 0.5 * (1 - t * t) * out.grad
        out._backward = _backward
        return out


class AddAssigns(Value):
    def __add__(self, other):
        other = self._lift(other)
        out = self._make(self.data + other.data, (self, other))

        def _backward():
            self.grad = out.grad
            other.grad = out.grad
        out._backward = _backward
        return out


@pytest.mark.parametrize("cls, hint", [(MulUsesGrad, None), (PowOffByOne, None),
                                       (TanhHalf, "scale"), (AddAssigns, None)])
def test_value_engine_bugs_fail(cls, hint):
    report = check_engine(neuron, neuron_ref, X, W[:, 0].copy(), **value_hooks(cls))
    assert not report.ok
    assert {e.label for e in report.failures} <= {"dL/dx", "dL/dw"}, report
    if hint:
        assert hint in [h.kind for h in report.hints], report.hints


def test_engine_hooks_must_be_callables():
    with pytest.raises(TypeError, match="check_engine: grad must be a callable"):
        check_engine(dense, dense_ref, X, W, B, **dict(tensor_hooks(), grad="grad"))


def test_reference_with_another_signature_is_a_clear_error():
    with pytest.raises(TypeError, match=r"reference <lambda> cannot take dense's 3 positional "
                                        r"arguments \(x, W, b\)"):
        check_engine(dense, lambda x, W: x @ W, X, W, B, **tensor_hooks())


def test_an_engine_op_that_raises_is_reported_not_crashed():
    class NoTanh(Tensor):
        def tanh(self):
            raise AttributeError("'NoTanh' has no tanh yet")
    report = check_engine(dense, dense_ref, X, W, B, **tensor_hooks(NoTanh))
    assert not report.ok
    assert [e.status for e in report.entries] == ["error"]
    assert "has no tanh yet" in report.failures[0].diff.message
