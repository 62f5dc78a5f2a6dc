"""Hand a class layer torch arrays for one forward call, and take them back afterwards.

The own-forward oracle must call ``layer.forward(x)`` with the layer's
parameters replaced by arrays that carry a torch graph, without depending on
how anyone discovered those parameters. It finds each parameter by identity
(``is``) wherever the layer holds it — an attribute, or one level into a
dict/list attribute (``params["W"]``, numpy-ml's ``parameters``) — and puts it
back afterwards. The forward's own writes (caches, running statistics, input
lists) are undone too, so no torch object outlives the call.
"""

from __future__ import annotations

import types

import numpy as np

# Containers are snapshotted this deep below the layer's __dict__: numpy-ml keeps
# {"Z": [...]} inside its derived_variables dict, two levels down.
_SNAPSHOT_DEPTH = 2


class LayerState:
    """A shallow snapshot of a layer's ``__dict__`` and the dicts/lists below it.

    Parameters
    ----------
    layer : object with a ``__dict__``
        The layer (or any object) whose state a forward call may change.

    Notes
    -----
    :meth:`restore` puts every container's contents back in place (the same
    dict and list objects, so references held elsewhere stay valid). Values
    inside the layer's own user objects (an activation object's cache) are
    snapshotted one level down as well; deeper state is not.
    """

    def __init__(self, layer):
        self._saved: list[tuple[object, object]] = []
        self._seen: set[int] = set()
        self._save(vars(layer), 0)

    def _save(self, container, depth: int) -> None:
        if id(container) in self._seen:
            return
        self._seen.add(id(container))
        if isinstance(container, dict):
            self._saved.append((container, dict(container)))
            values = list(container.values())
        elif isinstance(container, list):
            self._saved.append((container, list(container)))
            values = list(container)
        else:
            return
        if depth >= _SNAPSHOT_DEPTH:
            return
        for value in values:
            if isinstance(value, dict | list):
                self._save(value, depth + 1)
            elif depth == 0 and _plain_object(value):
                self._save(vars(value), depth + 1)

    def attribute_containers(self) -> list:
        """The layer's ``__dict__`` first, then the dicts/lists that are its attributes."""
        top = self._saved[0][0]
        return [top] + [c for c, _ in self._saved[1:] if any(c is v for v in top.values())]

    def restore(self) -> None:
        """Put every snapshotted container's contents back, innermost last-saved first."""
        for container, copy in reversed(self._saved):
            if isinstance(container, dict):
                container.clear()
                container.update(copy)
            else:
                container[:] = copy


def _plain_object(value) -> bool:
    """An instance of some class keeping its state in a ``__dict__`` (not a module/function)."""
    if isinstance(value, type | types.ModuleType | types.FunctionType | types.MethodType):
        return False
    root = type(value).__module__.split(".")[0]
    return hasattr(value, "__dict__") and root not in ("builtins", "numpy", "torch")


def _keys(container):
    return list(container.keys()) if isinstance(container, dict) else range(len(container))


def find_holders(containers: list, array: np.ndarray) -> list[tuple[object, object]]:
    """Every (container, key) among ``containers`` whose value is ``array`` itself.

    Parameters
    ----------
    containers : list of dict or list
        The layer's ``__dict__`` and its dict/list attributes.
    array : np.ndarray
        A parameter, matched by identity, never by value.
    """
    return [(c, k) for c in containers for k in _keys(c) if c[k] is array]


def convert_other_arrays(containers: list, skip: set[int], convert) -> None:
    """Replace every other NumPy array in ``containers`` by ``convert(array)``.

    Mixed NumPy/torch arithmetic would leave torch's graph (NumPy turns the
    torch array into an object array), so a layer's masks and running
    statistics travel as torch arrays too. ``skip`` holds ``id``s of the
    parameters, already replaced.
    """
    for container in containers:
        for key in _keys(container):
            value = container[key]
            if isinstance(value, np.ndarray) and id(value) not in skip:
                container[key] = convert(value)
