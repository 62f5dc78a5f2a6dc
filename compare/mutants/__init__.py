"""Mutation testing for twinnet's checker: realistic backprop bugs it must catch.

``catalogue`` holds the broken variants of scratch's layers and losses, each
with what it breaks and where a checker should point; ``runner`` runs every
mutant through compare's checks and tallies the kill and localization rates.
"""
