"""The HTML report: Jinja2 templates of the top-level ``templates/`` folder, self-contained.

The templates ship inside the package (``src/govern/templates`` is a symlink to the top-level
``templates/``; a wheel holds copies), so an installed govern finds them as package resources.
Autoescape is on for every template; the one stylesheet, ``report.css``, is inlined, so the
HTML needs no network, no font download and no JavaScript. Charts are inline SVG from
:mod:`govern.report.charts`.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path
from typing import Any

from govern.errors import GovernError
from govern.report import charts, charts_explain
from govern.report.context import ReportContext
from govern.report.json import json_sha256
from govern.report.sections import DriftData, ExplainabilityData, FairnessData, PerformanceData

#: A chart of a section (each drawn by its own template partial).
Chart = charts.BarChart | charts.LineChart | charts_explain.GroupedBarChart


class RenderError(GovernError):
    """The report cannot be rendered (templates missing from the installation)."""


#: The stylesheet inlined into every report.
STYLESHEET = "report.css"
BASE_TEMPLATE = "report.html"


def templates_dir() -> Path:
    """The folder of the report templates, inside the installed package."""
    return Path(str(resources.files("govern") / "templates"))


def template_environment(main: str, what: str = "report") -> Any:
    """A Jinja2 environment of the templates folder, every report kind's settings.

    Autoescape on, undefined names an error, block tags leave no blank lines. Refused with
    one sentence when the folder lacks ``main`` (the kind's page template): a broken install.
    The caller adds its own filters.
    """
    import jinja2  # imported on use: `govern --help` stays fast

    folder = templates_dir()
    if not (folder / main).is_file():
        raise RenderError(
            f"the {what} templates are missing from {folder}.",
            hint="Reinstall govern: its wheel ships them in govern/templates.",
        )
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def _environment() -> Any:
    env = template_environment(BASE_TEMPLATE)
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["status_label"] = _status_label
    env.filters["group_label"] = _group_label
    env.filters["docstring"] = _docstring
    return env


def _docstring(text: str) -> Any:
    """A rule's description as HTML: escaped, with its ``literals`` set as code."""
    import markupsafe

    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(_LITERAL.sub(r"<code>\1</code>", escaped))


#: reStructuredText inline literals in rule descriptions: ``psi``
_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)


def _num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    if value != 0 and abs(value) < 10 ** (-digits):
        return f"{value:.1e}"
    return f"{value:.{digits}f}"


def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


_STATUS = {
    "pass": "pass",
    "fail": "FAIL",
    "waived": "waived",
    "not_evaluated": "not evaluated",
}
_GROUPS = {
    "evaluated-pass": "pass",
    "evaluated-fail": "fail",
    "waived": "waived",
    "not-evaluated": "not evaluated",
    "not-covered": "not covered",
}


def _status_label(status: str) -> str:
    return _STATUS.get(status, status)


def _group_label(group: str) -> str:
    return _GROUPS.get(group, group)


def _charts(context: ReportContext) -> dict[str, list[Chart]]:
    """Charts per section key, with ids unique in the document."""
    out: dict[str, list[Chart]] = {}
    for section in context.sections:
        made: list[Chart | None] = []
        data = section.data
        if isinstance(data, FairnessData):
            for i, block in enumerate(data.blocks):
                if "parity" in block.metric or "impact" in block.metric:
                    made.append(charts.group_rates(block, f"chart-{section.key}-{i}-rates"))
                if "impact" in block.metric or "ratio" in block.metric:
                    made.append(charts.impact_ratios(block, f"chart-{section.key}-{i}-ratios"))
        elif isinstance(data, DriftData):
            by_rule: dict[str, list[Any]] = {}
            for row in data.rows:
                by_rule.setdefault(row.rule, []).append(row)
            for i, rows in enumerate(by_rule.values()):
                made.append(charts.drift_columns(rows, f"chart-{section.key}-{i}"))
        elif isinstance(data, PerformanceData):
            for i, perf in enumerate(data.rows):
                made.append(charts.performance_trend(perf, f"chart-{section.key}-{i}-trend"))
                made.append(charts.reliability(perf, f"chart-{section.key}-{i}-reliability"))
        elif isinstance(data, ExplainabilityData):
            for i, explanation in enumerate(data.blocks):
                prefix = f"chart-{section.key}-{i}"
                made.append(charts_explain.importance_shares(explanation, f"{prefix}-importance"))
                made.append(charts_explain.attribution_drift(explanation, f"{prefix}-drift"))
                for j, by in enumerate(explanation.groups):
                    chart_id = f"{prefix}-groups-{j}"
                    made.append(charts_explain.group_importance(explanation, by, chart_id))
        out[section.key] = [c for c in made if c is not None]
    return out


def render_html(context: ReportContext) -> str:
    """The report as one self-contained HTML document (same context, same bytes)."""
    from markupsafe import Markup

    env = _environment()
    css = (templates_dir() / STYLESHEET).read_text(encoding="utf-8")
    if "</" in css:
        raise RenderError(f"{STYLESHEET} must not contain '</' (it is inlined in <style>).")
    template = env.get_template(BASE_TEMPLATE)
    return str(
        template.render(
            c=context,
            css=Markup(css),
            charts=_charts(context),
            json_sha256=json_sha256(context),
        )
    )
