"""User code in other people's styles, one small module each, for the own-forward oracle tests.

Each module imports NumPy its own way (``np``, ``numpy``, ``from numpy import ...``),
as a student's ``layers.py`` would, so the tests exercise the module-global swap.
"""
