"""Checks: the kinds of rule a policy can use, as small functions over facts.

Every check kind registers in :mod:`govern.checks.registry`; the policy schema and the engine
take the kinds from there, so a new kind (drift, fairness, ...) is one module plus one line.
"""
