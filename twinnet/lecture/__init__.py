"""Everything that reproduces Lecture 18 (Applied ML, Cornell Tech): experiments and figures.

One module per experiment, each with a ``run_*`` function returning computed
results and a ``format_*`` function giving the text ``twinnet lecture NAME``
prints:

* :mod:`.worked_example` -- "Backpropagation by Hand", scratch beside torch;
* :mod:`.single_sample` -- cell [95]'s 100 steps on one sample, in lockstep;
* :mod:`.iris` -- cell [75]'s Iris neuron, with torch beside it;
* :mod:`.perceptron` -- the perceptron and that neuron on the same task;
* :mod:`.figures` -- the lecture's plots (drawn by :mod:`.plotting`, the only
  module that imports matplotlib).

The lecture's printed numbers live in :mod:`.reference` and nowhere else.
"""
