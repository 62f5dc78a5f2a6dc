"""Twins of scratch's built-in layers, registered on import (see ``registry`` to add more)."""

from __future__ import annotations

from torch import nn

import scratch

from . import modules
from .links import ParamLink
from .registry import register_twin

LINEAR_LINKS = (
    ParamLink("W", "weight", True, "scratch stores W as (in, out); nn.Linear.weight is (out, in)"),
    ParamLink("b", "bias", False, "the same (out,) vector on both sides"),
)
LINEAR_SIGMOID_LINKS = (
    ParamLink("W", "W", False, "LinearSigmoid keeps the lecture's (in, out) layout on both sides"),
)


def _linear_links(layer: scratch.Linear) -> list[ParamLink]:
    return list(LINEAR_LINKS if layer.bias else LINEAR_LINKS[:1])


register_twin(
    scratch.Linear, nn.Linear,
    to_torch=lambda layer, dtype, convert: nn.Linear(
        layer.in_features, layer.out_features, bias=layer.bias, dtype=dtype),
    from_torch=lambda module, dtype, convert: scratch.Linear(
        module.in_features, module.out_features, bias=module.bias is not None, rng=0,
        dtype=dtype),
    links=_linear_links,
)

_ACTIVATIONS = (
    (scratch.Sigmoid, nn.Sigmoid), (scratch.Tanh, nn.Tanh), (scratch.ReLU, nn.ReLU),
    (scratch.Identity, nn.Identity), (scratch.Step, modules.Step),
)
for _scratch_cls, _torch_cls in _ACTIVATIONS:
    register_twin(
        _scratch_cls, _torch_cls,
        # Default arguments bind this iteration's classes, not the loop's last ones.
        to_torch=lambda layer, dtype, convert, cls=_torch_cls: cls(),
        from_torch=lambda module, dtype, convert, cls=_scratch_cls: cls(),
    )

register_twin(
    scratch.LinearSigmoid, modules.LinearSigmoid,
    to_torch=lambda layer, dtype, convert: modules.LinearSigmoid(
        layer.in_dim, layer.out_dim, dtype=dtype),
    from_torch=lambda module, dtype, convert: scratch.LinearSigmoid(
        module.in_dim, module.out_dim, rng=0, dtype=dtype),
    links=lambda layer: list(LINEAR_SIGMOID_LINKS),
)


def _sequential_from_torch(module: nn.Sequential, dtype, convert) -> scratch.Sequential:
    # scratch always names children by position; torch may use custom names.
    return scratch.Sequential(*[convert(child, f"{i}.", f"{name}.")
                                for i, (name, child) in enumerate(module.named_children())])


register_twin(
    scratch.Sequential, nn.Sequential,
    to_torch=lambda layer, dtype, convert: nn.Sequential(
        *[convert(child, f"{i}.") for i, child in enumerate(layer.layers)]),
    from_torch=_sequential_from_torch,
)


def _net_to_torch(net: scratch.Net, dtype, convert) -> modules.LectureNet:
    twin = modules.LectureNet(net.l1.in_dim, net.l1.out_dim, dtype=dtype)
    twin.l1, twin.l2 = convert(net.l1, "l1."), convert(net.l2, "l2.")
    return twin


def _net_from_torch(module: modules.LectureNet, dtype, convert) -> scratch.Net:
    net = scratch.Net(module.l1.in_dim, module.l1.out_dim, rng=0, dtype=dtype)
    # The setters check shape and dtype against the net built above.
    net.l1.W = convert(module.l1, "l1.").W
    net.l2.W = convert(module.l2, "l2.").W
    return net


register_twin(scratch.Net, modules.LectureNet, to_torch=_net_to_torch,
              from_torch=_net_from_torch)
