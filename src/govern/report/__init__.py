"""Audit reports of a model version: a typed context, rendered as HTML (and PDF) and JSON.

- :mod:`govern.report.context`: :func:`~govern.report.context.build_context` gathers the typed
  :class:`~govern.report.context.ReportContext` from the library (findings, lineage, ledger,
  sources); nothing is recomputed afterwards;
- :mod:`govern.report.sections`: one evidence section per check kind (a small registry);
- :mod:`govern.report.charts`: deterministic inline SVG charts, each with its data table;
- :mod:`govern.report.html`: ``render_html(context) -> str`` with the Jinja2 templates of the
  top-level ``templates/`` folder (shipped inside the package);
- :mod:`govern.report.json`: ``render_json(context) -> str``, the ``govern.report/v1`` JSON.
"""
