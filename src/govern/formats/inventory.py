"""Render the model inventory (``govern models``) as a table or JSON."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.table import Table
from rich.text import Text

from govern.formats.render import to_json, to_text
from govern.inventory import GAP_CODES, VersionLineage

SCHEMA = "govern.inventory/v1"


def summary(versions: list[VersionLineage]) -> dict[str, Any]:
    """Counts for the inventory header: models, versions, versions with gaps, gaps by code."""
    gaps = Counter(g.code for v in versions for g in v.gaps)
    return {
        "models": len({v.model for v in versions}),
        "versions": len(versions),
        "versions_with_gaps": sum(1 for v in versions if v.gaps),
        "gaps": dict(sorted(gaps.items())),
    }


def render_json(versions: list[VersionLineage]) -> str:
    """The inventory as JSON (schema ``govern.inventory/v1``)."""
    return to_json(
        {
            "schema": SCHEMA,
            "summary": summary(versions),
            "versions": [v.to_json() for v in versions],
        }
    )


def _short(value: str | None, size: int = 10) -> str:
    if not value:
        return "—"
    return value if len(value) <= size else value[:size]


def render_table(versions: list[VersionLineage], *, width: int = 160, color: bool = False) -> str:
    """The inventory as a table: one row per version, gaps spelled out."""
    if not versions:
        return "The store holds no model versions yet. Load exports with `govern ingest PATH`.\n"
    table = Table(title="Model inventory", title_justify="left", expand=False)
    for name in ("model", "ver", "stage", "aliases", "run", "git commit", "datasets", "env"):
        table.add_column(name, overflow="fold")
    table.add_column("lineage gaps", overflow="fold")
    for v in versions:
        datasets = ", ".join(
            f"{d.name}@{d.digest or '?'}" + (f" ({d.context})" if d.context else "")
            for d in v.datasets
        )
        gaps = Text(", ".join(g.code for g in v.gaps) or "none", style="red" if v.gaps else "green")
        run = _short(v.run_id, 8)
        if v.run_lifecycle_stage == "deleted":
            run += " (deleted)"
        table.add_row(
            v.model,
            v.version,
            v.stage or "—",
            ", ".join(v.aliases) or "—",
            run,
            _short(v.git_commit),
            datasets or "—",
            "yes" if v.environment else "no",
            gaps,
        )
    info = summary(versions)
    footer = (
        f"{info['models']} models, {info['versions']} versions, "
        f"{info['versions_with_gaps']} with lineage gaps."
    )
    return to_text(table, footer, width=width, color=color)


def render_detail(versions: list[VersionLineage], *, width: int = 160, color: bool = False) -> str:
    """One model's versions in detail (``govern models show``)."""
    parts: list[Any] = []
    for v in versions:
        table = Table(
            title=f"{v.model} version {v.version}", title_justify="left", show_header=False
        )
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        rows: list[tuple[str, str]] = [
            ("registry", v.registry),
            ("stage", v.stage or "—"),
            ("aliases", ", ".join(v.aliases) or "—"),
            ("status", v.status or "—"),
            ("created", v.created_at.isoformat() + "Z" if v.created_at else "—"),
            ("source", v.source or "—"),
            ("run", f"{v.run_id or '—'}" + (f" ({v.run_name})" if v.run_name else "")),
            ("run status", f"{v.run_status or '—'} / {v.run_lifecycle_stage or '—'}"),
            ("experiment", v.experiment or "—"),
            ("user", v.user or "—"),
            ("git commit", v.git_commit or "—"),
            ("code", v.source_name or v.code_repository or "—"),
            ("params", ", ".join(f"{k}={val}" for k, val in v.params.items()) or "—"),
            (
                "metrics",
                ", ".join(
                    f"{k}={val:.4g}" if val is not None else f"{k}=NaN"
                    for k, val in v.metrics.items()
                )
                or "—",
            ),
            (
                "datasets",
                "\n".join(
                    f"{d.name} digest={d.digest or '—'} context={d.context or '—'} "
                    f"source={d.source_uri or d.source_type or '—'}"
                    for d in v.datasets
                )
                or "—",
            ),
            ("environment", "\n".join(v.environment) or "—"),
            ("flavors", ", ".join(v.flavors) or "—"),
            ("tags", "\n".join(f"{k}={val}" for k, val in v.tags.items()) or "—"),
        ]
        for name, value in rows:
            table.add_row(name, value)
        gap_text = Text()
        for gap in v.gaps:
            gap_text.append(f"{gap.code}: {gap.message} ({GAP_CODES[gap.code]})\n", style="red")
        table.add_row("lineage gaps", gap_text if v.gaps else Text("none", style="green"))
        parts.append(table)
    return to_text(*parts, width=width, color=color)
