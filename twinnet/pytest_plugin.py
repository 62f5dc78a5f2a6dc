"""pytest plugin: check your own layers against torch from your own test suite.

Installing twinnet registers this module under the ``pytest11`` entry point
``twinnet``, so pytest loads it automatically (with autoloading disabled, pass
``-p twinnet``). It adds nothing to a test run unless a test asks for it: no
autouse fixtures, no header lines, no output. A test may request

``twinnet``
    a :class:`TwinnetFixture`: ``twinnet.check_layer(...)``,
    ``twinnet.check_pair(...)``, ``twinnet.check_loss_fn(...)``,
    ``twinnet.check_model(...)`` and ``twinnet.gradcheck(...)`` run the
    :mod:`compare` function of the same name and fail the test with the full
    report as the message when anything disagrees.
``twinnet_rng``
    a seeded ``np.random.Generator``. When the test fails, its report gains a
    ``twinnet`` section reading ``twinnet seed: N``; rerun with
    ``--twinnet-seed N`` to replay the same numbers.
``twinnet_seed``
    the integer seed behind ``twinnet_rng``.

One seed drives a test: the ``twinnet`` fixture's checks run with
``seed=twinnet_seed`` unless the call gives its own, so the random upstream
gradient of the check, the seed in the report's title and the seed in the
``replay: pytest --twinnet-seed N`` line are the same number.

Example::

    def test_my_layer(twinnet, twinnet_rng):
        layer = MyLayer(3, 2)
        x = twinnet_rng.normal(size=(4, 3))
        twinnet.check_layer(layer, reference=lambda x, W: torch.sigmoid(x @ W), x=x)
"""

from __future__ import annotations

import secrets

import numpy as np
import pytest

SEED_BITS = 32
SEED_KEY = pytest.StashKey[int]()


def _seed_option(text: str) -> int:
    seed = int(text)
    if not 0 <= seed < 2**SEED_BITS:
        raise ValueError(f"--twinnet-seed must lie in [0, 2**{SEED_BITS}), got {seed}")
    return seed


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--twinnet-seed N`` under a "twinnet" group in ``pytest --help``."""
    group = parser.getgroup("twinnet", "twinnet: check hand-written backprop against torch")
    group.addoption(
        "--twinnet-seed", dest="twinnet_seed", type=_seed_option, default=None, metavar="N",
        help="seed every twinnet_rng fixture with N, to replay a failure that printed "
             "'twinnet seed: N' (default: a fresh random seed per test)",
    )


@pytest.fixture
def twinnet_seed(request: pytest.FixtureRequest) -> int:
    """The seed of this test's ``twinnet_rng``: ``--twinnet-seed`` if given, else fresh.

    Recorded on the test item, printed as ``twinnet seed: N`` if the test
    fails, and stored in ``user_properties`` (so JUnit XML carries it too).
    """
    seed = request.config.getoption("twinnet_seed")
    if seed is None:
        seed = secrets.randbelow(2**SEED_BITS)
    request.node.stash[SEED_KEY] = seed
    request.node.user_properties.append(("twinnet_seed", seed))
    return seed


@pytest.fixture
def twinnet_rng(twinnet_seed: int) -> np.random.Generator:
    """``np.random.default_rng(twinnet_seed)``: the test's only source of randomness."""
    return np.random.default_rng(twinnet_seed)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Append a "twinnet" section with the seed to the report of a failing seeded test."""
    outcome = yield
    report = outcome.get_result()
    seed = item.stash.get(SEED_KEY, None)
    if seed is not None and report.failed:
        report.sections.append(
            ("twinnet", f"twinnet seed: {seed}\nreplay: pytest --twinnet-seed {seed} "
                        f"{item.nodeid!r}"))


class TwinnetFixture:
    """What the ``twinnet`` fixture returns: checks that fail the test with the report.

    Every keyword argument is passed on unchanged to the function of
    :mod:`compare` with the same name, so tolerances and parameter names work
    exactly as documented there.
    """

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    @property
    def seed(self) -> int:
        """This test's ``twinnet_seed`` (requested on first use, so it is printed on failure)."""
        return self._request.getfixturevalue("twinnet_seed")

    def _seeded(self, options: dict) -> dict:
        """``options`` with ``seed`` set to this test's seed unless the caller chose one."""
        if options.get("seed") is None:
            options = {**options, "seed": self.seed}
        return options

    def _check(self, name: str, *args, **options):
        """Run ``compare.<name>`` with this test's seed unless given; fail on a mismatch."""
        __tracebackhide__ = True
        import compare

        return _pass_or_fail(getattr(compare, name)(*args, **self._seeded(options)))

    @property
    def rng(self) -> np.random.Generator:
        """This test's ``twinnet_rng`` (requested on first use, so its seed is printed)."""
        return self._request.getfixturevalue("twinnet_rng")

    def check_layer(self, layer, reference=None, x: np.ndarray | None = None, **options):
        """Run :func:`compare.check_layer`; fail the test with the report on a mismatch.

        Parameters
        ----------
        layer : object
            The layer under test, with ``forward(x)`` and ``backward(grad_out)``.
        reference : callable, optional
            ``reference(x, *params) -> torch.Tensor``, the same maths in torch.
            None: a scratch layer's own torch twin; any other layer is judged by
            torch autograd of its own forward (finite differences when that
            cannot run), see docs/no-reference.md.
        x : np.ndarray, shape (batch, in_features)
            The input to run both on.
        **options
            Passed to :func:`compare.check_layer` (e.g. ``rtol``, ``atol``);
            ``seed`` defaults to this test's ``twinnet_seed``.

        Returns
        -------
        compare.Report
            The passing report, for further inspection.
        """
        __tracebackhide__ = True
        return self._check("check_layer", layer, reference=reference, x=x, **options)

    def check_pair(self, forward, backward, *args, reference=None, **options):
        """Run :func:`compare.check_pair`; fail the test with the report on a mismatch.

        Parameters
        ----------
        forward, backward : callables
            A CS231n-style pair: ``forward(*args) -> (out, cache)``,
            ``backward(dout, cache)`` -> one gradient per float array argument.
        *args
            What ``forward`` takes.
        reference : callable, optional
            ``reference(*args) -> torch.Tensor``; None: torch autograd of
            ``forward``'s own code (finite differences when that cannot run).
        **options
            Passed to :func:`compare.check_pair`; ``seed`` defaults to this
            test's ``twinnet_seed``.

        Returns
        -------
        compare.Report
            The passing report.
        """
        __tracebackhide__ = True
        return self._check("check_pair", forward, backward, *args, reference=reference,
                           **options)

    def check_loss_fn(self, fn, *args, reference=None, **options):
        """Run :func:`compare.check_loss_fn`; fail the test with the report on a mismatch.

        Parameters
        ----------
        fn : callable ``fn(*args) -> (loss, dx)``
        *args
            What ``fn`` takes; the first is the float array dx belongs to.
        reference : callable, optional
            The loss in torch; None: torch autograd of ``fn``'s own code.
        **options
            Passed to :func:`compare.check_loss_fn`; ``seed`` defaults to this
            test's ``twinnet_seed``.

        Returns
        -------
        compare.Report
            The passing report.
        """
        __tracebackhide__ = True
        return self._check("check_loss_fn", fn, *args, reference=reference, **options)

    def check_model(self, model, x: np.ndarray, y=None, loss=None, **options):
        """Run :func:`compare.check_model`; fail the test with the report on a mismatch.

        Parameters
        ----------
        model : scratch model, or a user's own model
            E.g. a ``scratch.Sequential`` (its torch twin is built from the same
            weights), or any object with ``forward``/``backward`` whose layers have
            twins (see ``torch_ref.register_reference``).
        x : np.ndarray, shape (batch, in_features)
        y : np.ndarray, optional
            ``(batch, out_features)`` floats for ``"bce"``/``"mse"``; ``(batch,)``
            integer labels for ``"cross_entropy"``. Without ``y`` a random upstream
            dL/doutput is backpropagated.
        loss : str or scratch loss, optional
            ``"bce"``, ``"bce_with_logits"``, ``"mse"``, ``"cross_entropy"`` or a loss
            object; ``"bce"`` when ``y`` is given without one (scratch.Net: its own).
        **options
            Passed to :func:`compare.check_model`; ``seed`` defaults to this
            test's ``twinnet_seed``.

        Returns
        -------
        compare.Report
            The passing report.
        """
        __tracebackhide__ = True
        import scratch

        if y is not None and loss is None and not isinstance(model, scratch.Net):
            loss = "bce"
        return self._check("check_model", model, x, y, loss=loss, **options)

    def check_engine(self, fn, reference, *inputs, to_engine, to_numpy, grad, backward,
                     **options):
        """Run :func:`compare.check_engine`; fail the test with the report on a mismatch.

        Parameters
        ----------
        fn : callable ``fn(*objs) -> engine object``
            The computation in the user's own autograd engine.
        reference : callable ``reference(*tensors) -> torch.Tensor``, or None
            The same computation in torch; None: finite differences.
        *inputs : np.ndarray
            Float arrays become engine objects (afresh for every run).
        to_engine, to_numpy, grad, backward : callable
            How to build, read, differentiate and read gradients in the engine
            (see :func:`compare.check_engine`).
        **options
            Passed to :func:`compare.check_engine`; ``seed`` defaults to this
            test's ``twinnet_seed``.

        Returns
        -------
        compare.Report
            The passing report.
        """
        __tracebackhide__ = True
        return self._check("check_engine", fn, reference, *inputs, to_engine=to_engine,
                           to_numpy=to_numpy, grad=grad, backward=backward, **options)

    def gradcheck(self, model, x: np.ndarray, y=None, loss=None, **options):
        """Run :func:`compare.gradcheck`; fail the test with the report on a mismatch.

        Parameters
        ----------
        model : scratch model or any layer with ``forward``/``backward``
        x : np.ndarray, shape (batch, in_features)
        y, loss : optional
            As in :meth:`check_model`; without a loss the check uses
            ``L = sum(upstream * output)``.
        **options
            Passed to :func:`compare.gradcheck` (e.g. ``eps``, ``params``);
            ``seed`` defaults to this test's ``twinnet_seed``.

        Returns
        -------
        compare.Report
            The passing report: backprop against central finite differences.
        """
        __tracebackhide__ = True
        return self._check("gradcheck", model, x, y, loss, **options)


def _pass_or_fail(report):
    __tracebackhide__ = True
    if not report.ok:
        pytest.fail(str(report))
    return report


@pytest.fixture
def twinnet(request: pytest.FixtureRequest) -> TwinnetFixture:
    """Checks against torch that fail the test with twinnet's report as the message."""
    return TwinnetFixture(request)
