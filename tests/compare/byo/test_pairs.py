"""check_pair and check_loss_fn on CS231n-style functions: right ones pass, planted bugs fail
at the argument they touch, with a fitting hint; bad input gets a clear error."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from compare import check_loss_fn, check_pair
from tests.compare.byo import cs231n_style as C

rng = np.random.default_rng(12)
X, W, B = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=3)
XS, WS = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))  # square: a transpose hides
IMG, KER, KB = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
CONV = {"stride": 2, "pad": 1}
POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}
RNN = (rng.normal(size=(3, 4)), rng.normal(size=(3, 5)), rng.normal(size=(4, 5)),
       rng.normal(size=(5, 5)), rng.normal(size=5))
WORDS = np.array([[0, 2, 2], [1, 3, 2]])  # index 2 repeats: its rows must add
EMB = rng.normal(size=(4, 3))
SCORES, LABELS = rng.normal(size=(5, 4)), np.array([0, 3, 1, 3, 2])


def _rnn_ref(x, h0, Wx, Wh, b):
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ Wx + h @ Wh + b)
        hs.append(h)
    return torch.stack(hs, dim=1)


def _conv_ref(x, w, b, conv_param):
    return F.conv2d(x, w, b, stride=conv_param["stride"], padding=conv_param["pad"])


CORRECT = {
    "affine": (C.affine_forward, C.affine_backward, (X, W, B), lambda x, w, b: x @ w + b),
    "relu": (C.relu_forward, C.relu_backward, (X,), torch.relu),
    "conv_naive": (C.conv_forward_naive, C.conv_backward_naive, (IMG, KER, KB, CONV),
                   _conv_ref),
    "max_pool_naive": (C.max_pool_forward_naive, C.max_pool_backward_naive, (IMG, POOL),
                       lambda x, p: F.max_pool2d(x, 2, 2)),
    "batchnorm": (C.batchnorm_forward, C.batchnorm_backward,
                  (X, rng.normal(size=5), rng.normal(size=5), {"mode": "train"}),
                  lambda x, g, b, p: F.batch_norm(x, None, None, g, b, training=True,
                                                  eps=1e-5)),
    "rnn_step": (C.rnn_step_forward, C.rnn_step_backward, RNN,
                 lambda x, h, Wx, Wh, b: torch.tanh(x @ Wx + h @ Wh + b)),
    "rnn": (C.rnn_forward, C.rnn_backward,
            (rng.normal(size=(2, 3, 4)), RNN[1][:2], RNN[2], RNN[3], RNN[4]), _rnn_ref),
    "word_embedding": (C.word_embedding_forward, C.word_embedding_backward, (WORDS, EMB),
                       lambda x, W: W[torch.from_numpy(x)]),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
@pytest.mark.parametrize("oracle", ["torch", "own-forward autograd"])
def test_correct_pairs_pass(name, oracle):
    fwd, bwd, args, ref = CORRECT[name]
    report = check_pair(fwd, bwd, *args, reference=ref if oracle == "torch" else None)
    assert report.ok, report
    assert report.expected_name == oracle
    float_args = [a for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    assert len([e for e in report.entries if e.label.startswith("dL/d")]) == len(float_args)
    if oracle != "torch":  # every one of these forwards runs on torch's NumPy API
        assert report.notes[0] == f"reference: autograd of {fwd.__qualname__}'s own forward"


def test_float32_pair_against_float64_differences():
    x32, w32, b32 = (a.astype(np.float32) for a in (X, W, B))
    assert check_pair(C.affine_forward, C.affine_backward, x32, w32, b32).ok


def test_entries_are_named_by_the_forwards_own_parameter_names():
    report = check_pair(C.rnn_step_forward, C.rnn_step_backward, *RNN)
    assert [e.label for e in report.entries] == ["dL/dx", "dL/dprev_h", "dL/dWx", "dL/dWh",
                                                  "dL/db"]


def _bug(bwd, **changes):
    """A backward returning ``bwd``'s gradients with some replaced by f(grads, cache)."""
    def buggy(dout, cache):
        grads = bwd(dout, cache)
        grads = list(grads) if isinstance(grads, tuple) else [grads]
        for k, f in changes.items():
            grads[int(k[1:])] = f(grads, dout, cache)
        return tuple(grads) if len(grads) > 1 else grads[0]
    return buggy


# (name, forward, buggy backward, args, failing entry label, hint kind or None)
BUGS = [
    ("dw transposed on a square w", C.affine_forward,
     _bug(C.affine_backward, g1=lambda g, d, c: g[1].T.copy()),
     (XS, WS, rng.normal(size=4)), "dL/dw", "transpose"),
    ("db kept as (1, D)", C.affine_forward,
     _bug(C.affine_backward, g2=lambda g, d, c: d.sum(axis=0, keepdims=True)),
     (X, W, B), "dL/db", "reshape"),
    ("dx = dout @ w, not w.T, on a square w", C.affine_forward,
     _bug(C.affine_backward, g0=lambda g, d, c: d @ c[1]), (XS, WS, rng.normal(size=4)),
     "dL/dx", "transpose"),
    ("rnn dprev_h = da @ Wh, not Wh.T", C.rnn_step_forward,
     _bug(C.rnn_step_backward, g1=lambda g, d, c: (d * (1 - c[4] ** 2)) @ c[3]), RNN,
     "dL/dprev_h", "transpose"),
    ("relu passes the gradient unmasked", C.relu_forward,
     _bug(C.relu_backward, g0=lambda g, d, c: d.copy()), (X,), "dL/dx", "derivative"),
    ("conv db not summed over positions", C.conv_forward_naive,
     _bug(C.conv_backward_naive, g2=lambda g, d, c: d.sum(axis=(0, 2)).sum(axis=1) / 2),
     (IMG, KER, KB, CONV), "dL/db", "scale"),
    ("max pool routes to every window element", C.max_pool_forward_naive,
     _bug(C.max_pool_backward_naive,
          g0=lambda g, d, c: np.kron(d, np.ones((2, 2)))[:, :, :5, :5]),
     (IMG, POOL), "dL/dx", None),
    ("batchnorm dgamma from x, not xhat", C.batchnorm_forward,
     _bug(C.batchnorm_backward, g1=lambda g, d, c: (d * c[0] * 2).sum(axis=0)),
     (X, np.ones(5), np.zeros(5), {}), "dL/dgamma", None),
    ("rnn dWh from next_h", C.rnn_step_forward,
     _bug(C.rnn_step_backward, g3=lambda g, d, c: c[4].T @ (d * (1 - c[4] ** 2))),
     RNN, "dL/dWh", None),
    ("embedding rows overwritten, not added", C.word_embedding_forward,
     _bug(C.word_embedding_backward, g0=lambda g, d, c: _assign_rows(c, d)),
     (WORDS, EMB), "dL/dW", None),
]


def _assign_rows(cache, dout):
    x, W = cache
    dW = np.zeros_like(W)
    dW[x] = dout  # repeated indices keep only the last row
    return dW


@pytest.mark.parametrize("case", BUGS, ids=[b[0] for b in BUGS])
def test_planted_bug_fails_at_its_argument(case):
    _, fwd, bwd, args, label, hint = case
    report = check_pair(fwd, bwd, *args)
    assert not report.ok
    assert [e.label for e in report.failures] == [label], report
    if hint is not None:
        assert hint in [h.kind for h in report.hints], report.hints


def test_loss_functions_pass_with_torch_and_with_differences():
    ref = lambda x, y: F.cross_entropy(x, torch.from_numpy(y))  # noqa: E731
    assert check_loss_fn(C.softmax_loss, SCORES, LABELS, reference=ref).ok
    assert check_loss_fn(C.softmax_loss, SCORES, LABELS).ok
    assert check_loss_fn(C.svm_loss, SCORES, LABELS).ok


def test_loss_bugs_fail_with_a_fitting_hint():
    def not_averaged(x, y):
        loss, dx = C.softmax_loss(x, y)
        return loss, dx * x.shape[0]

    def wrong_loss_value(x, y):
        loss, dx = C.softmax_loss(x, y)
        return loss * x.shape[0], dx

    report = check_loss_fn(not_averaged, SCORES, LABELS)
    assert [e.label for e in report.failures] == ["dL/dx"]
    assert [h.kind for h in report.hints] == ["scale"]
    ref = lambda x, y: F.cross_entropy(x, torch.from_numpy(y))  # noqa: E731
    report = check_loss_fn(wrong_loss_value, SCORES, LABELS, reference=ref)
    assert [e.label for e in report.failures] == ["loss"]


def test_forward_without_a_cache_is_a_clear_error():
    with pytest.raises(TypeError, match=r"check_pair: relu_only must return \(out, cache\)"):
        def relu_only(x):
            return np.maximum(x, 0)
        check_pair(relu_only, C.relu_backward, X)


def test_backward_with_the_wrong_number_of_gradients_names_the_arguments():
    def two(dout, cache):
        return C.affine_backward(dout, cache)[:2]
    with pytest.raises(ValueError, match=r"returned 2 gradients; affine_forward has 3 .*"
                                         r"\(x, w, b\)"):
        check_pair(C.affine_forward, two, X, W, B)


def test_reference_with_another_signature_is_a_clear_error():
    with pytest.raises(TypeError, match=r"reference <lambda> cannot take affine_forward's 3 "
                                        r"positional arguments \(x, w, b\)"):
        check_pair(C.affine_forward, C.affine_backward, X, W, B, reference=lambda x, w: x @ w)


def test_nothing_to_differentiate_is_an_error_not_an_ok():
    with pytest.raises(TypeError, match="nothing to differentiate"):
        check_pair(C.word_embedding_forward, C.word_embedding_backward, WORDS,
                   EMB.astype(int))


def test_forward_writing_into_its_argument_is_named():
    def relu_in_place(x):
        np.maximum(x, 0, out=x)
        return x.copy(), x

    report = check_pair(relu_in_place, C.relu_backward, X.copy())
    assert not report.ok
    changed = [e for e in report.failures if e.status == "error"]
    assert changed and "changed its argument x in place" in changed[0].diff.message


def test_a_backward_that_raises_is_reported_not_crashed():
    def broken(dout, cache):
        raise IndexError("index 9 is out of bounds")
    report = check_pair(C.affine_forward, broken, X, W, B)
    assert not report.ok and report.failures[0].status == "error"


def test_loss_fn_returning_only_the_loss_is_a_clear_error():
    def loss_only(x, y):
        return C.softmax_loss(x, y)[0]
    with pytest.raises(TypeError, match=r"check_loss_fn: loss_only must return \(loss, dx\)"):
        check_loss_fn(loss_only, SCORES, LABELS)


def test_loss_fn_needs_a_float_first_argument():
    with pytest.raises(TypeError, match=r"first argument of softmax_loss \(x\) must be a "
                                        "floating-point numpy array"):
        check_loss_fn(C.softmax_loss, LABELS, LABELS)
