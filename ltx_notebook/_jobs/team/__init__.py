"""Kernels sharing one store: which kernel drives each job (:mod:`.lease`), and how the
others follow it by its row (:mod:`.watch`)."""
