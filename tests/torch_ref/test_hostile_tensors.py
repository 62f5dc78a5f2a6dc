"""Hostile tensors and arrays at the NumPy <-> torch border, run with warnings as errors.

from_torch used to accept NaN weights; import_state_dict crashed on bfloat16, meta and
sparse tensors with torch's own errors naming no key; torch.from_numpy refused negative
strides and warned on read-only arrays. Now: an error naming the entry, expected and
actual, the model untouched; or, for legitimate arrays, the right tensor and no warning.
"""

import warnings

import numpy as np
import pytest
import torch
from torch import nn

import scratch
import torch_ref
from torch_ref import as_tensor_safe, tensor_to_numpy

pytestmark = pytest.mark.filterwarnings("error")


def model():
    return scratch.Sequential(scratch.Linear(2, 3, rng=0), scratch.Tanh(),
                              scratch.Linear(3, 1, rng=1))


def snapshot(m):
    return {k: v.copy() for k, v in m.params.items()}


# -- from_torch -----------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_from_torch_refuses_non_finite_weights_naming_them(bad):
    module = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    with torch.no_grad():
        module[2].bias[0] = bad
    with pytest.raises(scratch.NonFiniteError,
                       match=r"from_torch: Linear: torch '2.bias': parameter holds 1 "
                             r"non-finite value\(s\); first at index \(0,\)"):
        torch_ref.from_torch(module)


def test_from_torch_refuses_a_meta_module_naming_the_parameter():
    with pytest.raises(scratch.DTypeError, match=r"torch 'weight' is a meta tensor of shape "
                                                 r"\(3, 2\): it has no values"):
        torch_ref.from_torch(nn.Linear(2, 3, device="meta", dtype=torch.float64))


def test_from_torch_still_round_trips_finite_weights_exactly():
    module = nn.Linear(2, 3).double()
    layer = torch_ref.from_torch(module)
    np.testing.assert_array_equal(layer.W, module.weight.detach().numpy().T)


# -- import_state_dict ----------------------------------------------------------------------

def with_entry(value):
    state = torch_ref.export_state_dict(model())
    state["2.weight"] = value
    return state


W2 = torch_ref.export_state_dict(model())["2.weight"]
BAD_ENTRIES = [
    ("bfloat16", lambda: W2.to(torch.bfloat16),
     r"'2.weight' \(scratch '2.W', stored transposed\) must have dtype torch.float32 or "
     r"torch.float64, got torch.bfloat16"),
    ("float16", lambda: W2.half(), r"'2.weight'.*got torch.float16"),
    ("int", lambda: W2.long(), r"'2.weight'.*got torch.int64"),
    ("meta", lambda: torch.empty(1, 3, dtype=torch.float64, device="meta"),
     r"'2.weight'.*is a meta tensor of shape \(1, 3\)"),
    ("sparse-coo", lambda: W2.to_sparse(), r"'2.weight'.*must be a dense \(strided\) tensor, "
                                           r"got layout torch.sparse_coo"),
    ("sparse-csr", lambda: _quietly(W2.to_sparse_csr), r"'2.weight'.*layout torch.sparse_csr"),
    ("None", lambda: None, r"'2.weight'.*must be a torch.Tensor or numpy array, got NoneType"),
    ("list", lambda: W2.tolist(), r"'2.weight'.*got list"),
    ("np.matrix", lambda: _matrix(W2.numpy()), r"'2.weight'.*plain numpy array.*np.matrix"),
    ("float32-for-float64", lambda: W2.float(), r"'2.weight'.*must have dtype float64, got "
                                                r"float32"),
]


def _quietly(make):
    """Build the hostile value without its own creation warning (CSR is "beta") failing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return make()


def _matrix(a):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.matrix(a)


@pytest.mark.parametrize("make, match", [c[1:] for c in BAD_ENTRIES],
                         ids=[c[0] for c in BAD_ENTRIES])
def test_import_state_dict_names_the_key_of_a_bad_entry_and_changes_nothing(make, match):
    m = model()
    before = snapshot(m)
    with pytest.raises(scratch.DTypeError, match=r"import_state_dict\(Sequential\): " + match):
        torch_ref.import_state_dict(m, with_entry(make()))
    for key, value in before.items():
        assert m.params[key].tobytes() == value.tobytes(), key


def test_import_state_dict_refuses_a_non_mapping():
    with pytest.raises(scratch.DTypeError, match="state_dict must be a mapping.*got list"):
        torch_ref.import_state_dict(model(), [("0.weight", W2)])


def test_import_state_dict_takes_tensors_that_require_grad_and_odd_layouts():
    source, target = model(), model()
    state = torch_ref.export_state_dict(source)
    state["0.weight"] = state["0.weight"].clone().requires_grad_(True)
    state["2.weight"] = state["2.weight"].t().contiguous().t()  # non-contiguous view
    torch_ref.import_state_dict(target, state)
    for key, value in source.params.items():
        np.testing.assert_array_equal(target.params[key], value)


# -- the hand-over helpers ------------------------------------------------------------------

def layouts():
    base = np.arange(12.0).reshape(3, 4)
    read_only = base.copy()
    read_only.setflags(write=False)
    return {"negative-stride": base[::-1], "both-reversed": base[::-1, ::-1],
            "read-only": read_only, "broadcast": np.broadcast_to(base[0], (3, 4)),
            "non-contiguous": base[:, ::2], "fortran": np.asfortranarray(base),
            "transposed": base.T}


@pytest.mark.parametrize("name", sorted(layouts()))
def test_as_tensor_safe_gives_the_values_without_a_warning(name):
    a = layouts()[name]
    t = as_tensor_safe(a)
    assert t.shape == a.shape and t.dtype == torch.float64
    assert t.tolist() == a.tolist()


def test_as_tensor_safe_shares_writeable_memory_and_copies_read_only():
    a = np.zeros((2, 2))
    as_tensor_safe(a)[0, 0] = 5.0
    assert a[0, 0] == 5.0  # shared, as torch.from_numpy
    b = np.zeros((2, 2))
    b.setflags(write=False)
    as_tensor_safe(b)[0, 0] = 5.0
    assert b[0, 0] == 0.0  # never written through


def test_torch_from_numpy_really_fails_on_these_layouts():
    """The premise of as_tensor_safe: without it, these layouts break (or warn)."""
    with pytest.raises(ValueError, match="negative"):
        torch.from_numpy(layouts()["negative-stride"])
    with pytest.raises(UserWarning, match="not writable"):
        torch.from_numpy(layouts()["read-only"])


def test_tensor_to_numpy_copies_and_checks():
    t = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    a = tensor_to_numpy(t, "x")
    a[0, 0] = 7.0
    assert t[0, 0].item() == 1.0
    with pytest.raises(scratch.DTypeError, match=r"^w must be a torch.Tensor, got ndarray"):
        tensor_to_numpy(np.ones(2), "w")
