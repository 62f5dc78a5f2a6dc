"""torch_ref: torch.nn twins of scratch models, built from identical weights.

Depends on torch and scratch; its only numerics are what torch lacks (``Step``
with a zero gradient, the lecture's ``LinearSigmoid`` and ``LectureNet``).

    tmodel = to_torch(model)            # copy of the weights, same dtype
    for link in param_map(tmodel):      # scratch name, torch name, transposed, reason
        tgrad = torch_to_scratch_layout(link, tmodel.get_parameter(link.torch_name).grad)
        ...compare with model.grads[link.scratch_name]
    model2 = from_torch(tmodel)         # bit-exact round trip

New layers are added with :func:`register_twin` (see ``torch_ref.registry``).
"""

from . import twins as _twins  # noqa: F401  (registers the built-in twins)
from . import twins_conv as _twins_conv  # noqa: F401  (conv, pool, flatten, softmax, RNN)
from .convert import PARAM_MAP_ATTR, from_torch, param_map, to_torch
from .links import ParamLink, scratch_to_torch_grad, torch_to_scratch_layout
from .losses import (
    LOSS_NAMES,
    loss_by_name,
    loss_to_torch,
    register_loss_twin,
    target_to_torch,
)
from .modules import LectureNet, LinearSigmoid, Step
from .recurrent import BatchFirstRNN
from .registry import (
    Twin,
    reference_for,
    register_reference,
    register_twin,
    twin_for_scratch,
    twin_for_torch,
    unregister_reference,
    unregister_twin,
)
from .state_dict import export_state_dict, import_state_dict
from .tensors import as_tensor_safe, tensor_to_numpy

__all__ = [
    "LOSS_NAMES", "LectureNet", "LinearSigmoid", "PARAM_MAP_ATTR", "ParamLink", "Step", "Twin",
    "as_tensor_safe", "from_torch", "loss_by_name", "loss_to_torch", "param_map",
    "register_loss_twin", "register_twin", "scratch_to_torch_grad", "target_to_torch",
    "tensor_to_numpy", "to_torch", "torch_to_scratch_layout", "twin_for_scratch",
    "twin_for_torch", "unregister_twin",
]
__all__ += ["BatchFirstRNN"]
__all__ += ["export_state_dict", "import_state_dict"]
__all__ += ["reference_for", "register_reference", "unregister_reference"]
