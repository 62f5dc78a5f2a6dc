"""The modules torch lacks: Step (zero gradient), LinearSigmoid, LectureNet and its summed loss."""

import numpy as np
import pytest
import torch

import scratch
import torch_ref


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_step_forward_and_exactly_zero_gradient(dtype):
    x = torch.tensor([-2.0, -1e-300, 0.0, 1e-300, 3.0], dtype=dtype, requires_grad=True)
    y = torch_ref.Step()(x)
    # 1 strictly above 0, 0 at and below it (float32 flushes +-1e-300 to 0).
    expected = [0, 0, 0, 1, 1] if dtype == torch.float64 else [0, 0, 0, 0, 1]
    assert y.dtype == dtype and y.tolist() == expected
    (y * torch.arange(1.0, 6.0, dtype=dtype)).sum().backward()
    assert x.grad is not None
    assert torch.equal(x.grad, torch.zeros_like(x))


def test_step_blocks_gradient_to_earlier_layers_with_zeros_not_none():
    model = scratch.Sequential(scratch.Linear(3, 2, rng=0), scratch.Step())
    twin = torch_ref.to_torch(model)
    twin(torch.ones(4, 3, dtype=torch.float64)).sum().backward()
    for p in twin.parameters():
        assert p.grad is not None and not p.grad.any()


def test_linear_sigmoid_keeps_lecture_layout():
    layer = torch_ref.LinearSigmoid(2, 3, generator=torch.Generator().manual_seed(0))
    assert layer.W.shape == (2, 3) and layer.W.dtype == torch.float64
    x = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
    w = layer.W.detach()
    # sigmoid(x @ W) for one sample, written out element by element.
    by_hand = [1 / (1 + np.exp(-(1.0 * w[0, j].item() - 2.0 * w[1, j].item()))) for j in range(3)]
    np.testing.assert_allclose(layer(x).detach().numpy()[0], by_hand, rtol=1e-14)


@pytest.mark.parametrize("label", [1, 0, np.array([1, 0, 0, 1, 1])])
def test_lecture_net_loss_reproduces_net_backward(label):
    rng = np.random.default_rng(5)
    net = scratch.Net(2, 3, rng=rng)
    twin = torch_ref.to_torch(net)
    x = rng.normal(size=(5, 2))
    y_scratch = net.predict(x)
    J = net.backward(label)
    y = twin(torch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), y_scratch, rtol=0, atol=1e-15)
    per_sample = torch_ref.LectureNet.loss(y, label, reduction="none")
    np.testing.assert_allclose(per_sample.detach().numpy(), J, rtol=1e-13)
    torch_ref.LectureNet.loss(y, label).backward()  # summed, as Net.backward differentiates
    for link in torch_ref.param_map(twin):
        tgrad = torch_ref.torch_to_scratch_layout(link, twin.get_parameter(link.torch_name).grad)
        np.testing.assert_allclose(tgrad, net.grads[link.scratch_name], rtol=1e-12, atol=1e-15)


def test_lecture_net_loss_rejects_bad_labels():
    y = torch.full((3, 1), 0.5, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"scalar or shape \(3,\), got shape \(2,\)"):
        torch_ref.LectureNet.loss(y, np.array([1, 0]))
    with pytest.raises(ValueError, match="label must be 0 or 1"):
        torch_ref.LectureNet.loss(y, 2)
