"""Swap NumPy for torch's NumPy-compatible API in the user code a forward runs.

:func:`swapped_numpy` walks the code a forward can reach — the function's
own global names, the user functions and classes those name (in any user
module), closures — and rebinds every name that holds NumPy (``np``,
``numpy``, ``N``, ``from numpy import pad``, ``numpy.linalg as la``) to the
matching object of ``torch._numpy`` for the duration of a ``with`` block.
Only user code is touched: files under the standard library, site-packages
and twinnet's own checker (``compare``, ``torch_ref``) are never patched.

Names are rebound in the module dictionaries themselves, so any other thread
running the same user module while the block is open sees the swap too.
Callers serialise blocks with :data:`SWAP_LOCK`; everything is restored on
exit, also when the forward raises.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import inspect
import os
import site
import sys
import sysconfig
import threading
import types

import numpy

SWAP_LOCK = threading.RLock()

# numpy.random in a forward (dropout) would draw different numbers under torch than the
# user's own run did, so the two runs would differentiate different functions.
_STOCHASTIC = "numpy.random"


class UnsupportedNumpyName(AttributeError):
    """A NumPy name the forward used that ``torch._numpy`` does not provide.

    Attributes
    ----------
    call : str
        The dotted name, e.g. ``"numpy.vectorize"``.
    why : str
        What stops it, in words.
    """

    def __init__(self, call: str, why: str = "is not in torch's NumPy-compatible API"):
        super().__init__(f"{call} {why}")
        self.call = call
        self.why = why


def _system_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths.get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.update(site.getsitepackages() if hasattr(site, "getsitepackages") else ())
    roots.add(site.getusersitepackages())
    here = os.path.dirname(os.path.abspath(__file__))  # compare/
    roots.add(here)
    roots.add(os.path.join(os.path.dirname(here), "torch_ref"))
    roots.update(os.path.dirname(os.path.abspath(m.__file__)) for m in (numpy,))
    return tuple(sorted(os.path.realpath(r) + os.sep for r in roots if r))


@functools.lru_cache(maxsize=1)
def _roots() -> tuple[str, ...]:
    return _system_roots()


@functools.lru_cache(maxsize=4096)
def is_user_file(filename: str) -> bool:
    """Whether code from ``filename`` is the user's (patchable), not a library's.

    ``<string>``/``<stdin>`` style names (code run by ``exec`` or typed in) are the
    user's; ``<frozen ...>`` modules and files under the standard library,
    site-packages, NumPy or twinnet's checker are not.
    """
    if filename.startswith("<"):
        return not filename.startswith("<frozen")
    path = os.path.realpath(filename)
    return not any(path.startswith(root) for root in _roots())


class TorchNumpyModule(types.ModuleType):
    """Stands in for ``numpy`` (or one of its submodules) inside the user's code.

    Attribute lookups go to the matching ``torch._numpy`` module; a name it
    lacks raises :class:`UnsupportedNumpyName` naming the call. ``errstate``
    (which only silences warnings) is a no-op context manager, since
    ``torch._numpy`` has none and it does not change any value.
    """

    def __init__(self, label: str, target):
        super().__init__(label)
        self._label = label
        self._target = target

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        call = f"{self._label}.{name}"
        if call == _STOCHASTIC or self._label == _STOCHASTIC:
            raise UnsupportedNumpyName(call, "draws random numbers: the torch run would not "
                                             "draw the numbers the layer's own run drew")
        if name == "errstate" and self._label == "numpy":
            return _no_errstate
        if self._target is None or not hasattr(self._target, name):
            raise UnsupportedNumpyName(call)
        return getattr(self._target, name)


@contextlib.contextmanager
def _no_errstate(*args, **kwargs):
    yield


def _missing(call: str):
    def unsupported(*args, **kwargs):
        raise UnsupportedNumpyName(call)
    unsupported.__name__ = call.rsplit(".", 1)[-1]
    return unsupported


def numpy_replacement(value, tnp):
    """The ``torch._numpy`` stand-in for ``value``, or None when ``value`` is not NumPy's.

    Parameters
    ----------
    value : object
        A global name's value in user code: the ``numpy`` module, one of its
        submodules, or one of its public functions/ufuncs/types.
    tnp : module
        ``torch._numpy``.
    """
    if value is numpy:
        return TorchNumpyModule("numpy", tnp)
    if isinstance(value, types.ModuleType):
        name = value.__name__
        if not name.startswith("numpy."):
            return None
        sub = name.split(".", 1)[1]
        return TorchNumpyModule(name, getattr(tnp, sub, None)
                                if isinstance(getattr(tnp, sub, None), types.ModuleType) else None)
    name = getattr(value, "__name__", None)
    owner = getattr(value, "__module__", None) or type(value).__module__
    if not isinstance(name, str) or not str(owner).startswith("numpy"):
        return None
    try:
        if getattr(numpy, name, None) is not value:
            return None
    except Exception:  # an exotic object whose comparison fails is not NumPy's name
        return None
    if hasattr(tnp, name):
        return getattr(tnp, name)
    return _missing(f"numpy.{name}")


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


class _Finder:
    """Collects the (container, key) slots in user code that hold NumPy objects."""

    def __init__(self, tnp):
        self.tnp = tnp
        self.slots: dict[tuple[int, object], tuple[object, object, object]] = {}
        self.seen: set[int] = set()
        self.local_imports: list[str] = []

    def visit(self, obj) -> None:
        if id(obj) in self.seen:
            return
        self.seen.add(id(obj))
        if isinstance(obj, types.MethodType):
            self.visit(obj.__func__)
        elif isinstance(obj, staticmethod | classmethod):
            self.visit(obj.__func__)
        elif isinstance(obj, property):
            for part in (obj.fget, obj.fset):
                if part is not None:
                    self.visit(part)
        elif inspect.isfunction(obj):
            self._visit_function(inspect.unwrap(obj))
        elif inspect.isclass(obj):
            self._visit_class(obj)
        elif not isinstance(obj, types.ModuleType) and _user_class(type(obj)):
            self._visit_class(type(obj))  # a user object, e.g. an activation instance

    def _visit_function(self, fn) -> None:
        if not is_user_file(fn.__code__.co_filename):
            return
        names = _code_names(fn.__code__)
        if any(n == "numpy" or n.startswith("numpy.") for n in names):
            self._note_local_imports(fn)
        env = fn.__globals__
        for name in names:
            if name in env:
                self._visit_slot(env, name, names)
        for cell in fn.__closure__ or ():
            with contextlib.suppress(ValueError):  # an empty cell
                self._visit_cell(cell, names)

    def _note_local_imports(self, fn) -> None:
        """``import numpy`` inside a function binds the real module at call time: unswappable."""
        codes = [fn.__code__]
        while codes:
            code = codes.pop()
            codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
            for ins in dis.get_instructions(code):
                if ins.opname == "IMPORT_NAME" and str(ins.argval).split(".")[0] == "numpy":
                    line = ins.positions.lineno if ins.positions else code.co_firstlineno
                    where = f"{os.path.basename(code.co_filename)}:{line}"
                    self.local_imports.append(
                        f"`import {ins.argval}` inside {fn.__qualname__} ({where})")

    def _visit_class(self, cls) -> None:
        for klass in cls.__mro__:
            if klass is object or not _user_class(klass):
                continue
            for value in vars(klass).values():
                if inspect.isfunction(value) or isinstance(
                        value, staticmethod | classmethod | property):
                    self.visit(value)

    def _visit_slot(self, env: dict, name: str, names: set[str]) -> None:
        value = env[name]
        replacement = numpy_replacement(value, self.tnp)
        if replacement is not None:
            self.slots.setdefault((id(env), name), (env, name, replacement))
        elif isinstance(value, types.ModuleType):
            if _user_module(value):  # ``import layers`` then ``layers.affine_forward``
                members = vars(value)
                for attr in names & set(members):
                    self._visit_slot(members, attr, names)
        else:
            self.visit(value)

    def _visit_cell(self, cell, names: set[str]) -> None:
        value = cell.cell_contents
        replacement = numpy_replacement(value, self.tnp)
        if replacement is not None:
            self.slots.setdefault((id(cell), None), (cell, None, replacement))
        elif not isinstance(value, types.ModuleType):
            self.visit(value)


def _user_module(module: types.ModuleType) -> bool:
    filename = getattr(module, "__file__", None)
    return bool(filename) and is_user_file(filename)


def _user_class(cls: type) -> bool:
    module = sys.modules.get(cls.__module__)
    if module is not None and getattr(module, "__file__", None):
        return is_user_file(module.__file__)
    functions = [v for v in vars(cls).values() if inspect.isfunction(v)]
    return any(is_user_file(f.__code__.co_filename) for f in functions)


def _get(container, key):
    return container.cell_contents if key is None else container[key]


def _set(container, key, value) -> None:
    if key is None:
        container.cell_contents = value
    else:
        container[key] = value


@contextlib.contextmanager
def swapped_numpy(roots, tnp):
    """Within the block, the user code reachable from ``roots`` sees ``tnp`` as NumPy.

    Parameters
    ----------
    roots : iterable of functions, methods, classes or callable objects
        Where the walk starts (the forward, or the layer's class).
    tnp : module
        ``torch._numpy``.

    Yields
    ------
    list of str
        The rebound names, as ``"module.name"`` (for messages and tests).

    Notes
    -----
    Hold :data:`SWAP_LOCK` around the block; every slot gets its original value
    back on exit, in reverse order, whatever the block raised.
    """
    finder = _Finder(tnp)
    for root in roots:
        finder.visit(root)
    if finder.local_imports:
        raise UnsupportedNumpyName(finder.local_imports[0],
                                   "fetches the real NumPy when it runs, where no swap can reach; "
                                   "import NumPy at module level")
    done = []
    try:
        for container, key, replacement in finder.slots.values():
            done.append((container, key, _get(container, key)))
            _set(container, key, replacement)
        yield [_slot_label(container, key) for container, key, _ in done]
    finally:
        for container, key, original in reversed(done):
            _set(container, key, original)


def _slot_label(container, key) -> str:
    if key is None:
        return "<closure cell>"
    return f"{container.get('__name__', '?')}.{key}"
