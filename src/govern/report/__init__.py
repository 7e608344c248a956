"""Audit reports: a typed context per report kind, rendered as HTML, JSON and (tagged) PDF.

- :mod:`govern.report.context`: :func:`~govern.report.context.build_context` gathers the typed
  :class:`~govern.report.context.ReportContext` of a model version from the library (findings,
  lineage, ledger, sources); nothing is recomputed afterwards;
- :mod:`govern.report.changes`: what changed since the previous report of the same model;
- :mod:`govern.report.sections` (data classes in :mod:`govern.report.section_data`): one
  evidence section per check kind (a small registry);
- :mod:`govern.report.charts`: deterministic inline SVG charts, each with its data table;
- :mod:`govern.report.charts_explain`: the explainability charts (importance shares, attribution
  drift, grouped bars by sensitive group);
- :mod:`govern.report.html`: ``render_html(context) -> str`` with the Jinja2 templates of the
  top-level ``templates/`` folder (shipped inside the package);
- :mod:`govern.report.json`: ``render_json(context) -> str``, the ``govern.report/v1`` JSON;
- :mod:`govern.report.pdf`: the PDF (WeasyPrint; PDF/UA-1 or PDF/A-3b);
- :mod:`govern.report.review_report` (types in :mod:`govern.report.review_types`): the
  periodic review report; :mod:`govern.report.ll144`: the one-page LL144 summary;
- :mod:`govern.report.portfolio` (types and rendering in ``portfolio_types`` and
  ``portfolio_render``): every model version in scope with its decision;
- :mod:`govern.report.record`: the ledger entry of each report set.
"""
