"""Explainability: load a registered version's model safely and explain it with SHAP (issue 14).

Nothing here is imported at start-up: ``check: explainability`` imports it when a rule runs,
and it imports shap, scikit-learn and skops only inside the functions that need them.
"""
