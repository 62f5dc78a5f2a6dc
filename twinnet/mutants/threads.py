"""How much torch's intra-op thread count moves its last bits.

torch splits large reductions (a loss's mean, a bias gradient's sum over the
batch) across its intra-op threads; each thread sums its own chunk and the
partial sums are then added, so the rounding depends on the number of threads.
Matrix products (MKL/oneDNN) split by output blocks and keep their bits.
:func:`thread_count_effect` runs one model at two thread counts and reports
the largest difference, which ``twinnet false-alarms`` prints beside the
tolerances that must absorb it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ThreadEffect:
    """Largest difference between two runs of the same torch model and data.

    ``max_abs`` and ``max_rel`` are over the output, the loss and every parameter
    gradient; ``max_rel`` is relative to the largest magnitude of that array.
    """

    dtype: torch.dtype
    threads: tuple[int, int]
    batch: int
    max_abs: float
    max_rel: float
    worst: str


def _run(threads: int, dtype: torch.dtype, batch: int, width: int, seed: int):
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        gen = torch.Generator().manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(width, width), torch.nn.Tanh(),
                                    torch.nn.Linear(width, 1)).to(dtype)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(0.3 * torch.randn(p.shape, generator=gen, dtype=dtype))
        x = torch.randn(batch, width, generator=gen, dtype=dtype)
        y = torch.rand(batch, 1, generator=gen, dtype=dtype)
        out = model(x)
        loss = torch.nn.functional.mse_loss(out, y)
        loss.backward()
        arrays = {"output": out.detach(), "loss": loss.detach()}
        arrays.update({f"grad {name}": p.grad for name, p in model.named_parameters()})
        return arrays
    finally:
        torch.set_num_threads(previous)


def thread_count_effect(dtype: torch.dtype = torch.float32, threads: tuple[int, int] = (1, 2),
                        batch: int = 100_000, width: int = 8, seed: int = 0) -> ThreadEffect:
    """Run a Linear-Tanh-Linear model with MSE at ``threads[0]`` and ``threads[1]`` threads.

    Parameters
    ----------
    dtype : torch dtype of the model and data.
    threads : the two intra-op thread counts to compare.
    batch, width : x has shape (batch, width); a large batch makes the reductions
        long enough for torch to split them across threads.
    seed : weights and data come from ``torch.Generator().manual_seed(seed)``.
    """
    a = _run(threads[0], dtype, batch, width, seed)
    b = _run(threads[1], dtype, batch, width, seed)
    max_abs = max_rel = 0.0
    worst = "none"
    for key in a:
        diff = float((a[key] - b[key]).abs().max())
        rel = diff / max(float(b[key].abs().max()), float(torch.finfo(dtype).tiny))
        if rel > max_rel:
            max_rel, worst = rel, key
        max_abs = max(max_abs, diff)
    return ThreadEffect(dtype, tuple(threads), batch, max_abs, max_rel, worst)
