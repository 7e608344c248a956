"""Normalisation helpers shared by every adapter.

Each registry spells the same facts differently: tags as lists of ``{key, value}``, dicts,
files or rows; timestamps as epoch milliseconds, epoch seconds (float), ISO-8601 with or
without offset; versions as int or text; stage as ``"None"`` or ``null``. These functions
turn each into one form (see :mod:`govern.records.registry`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from govern.ingest import files
from govern.records.registry import Artifact, DatasetInput, MetricPoint

#: Run tags that carry the git commit, in order of preference.
GIT_COMMIT_TAGS = ("mlflow.source.git.commit", "mlflow.databricks.gitRepoCommit")
#: Run tags that carry the source repository URL.
GIT_REPO_TAGS = ("mlflow.source.git.repoURL", "mlflow.databricks.gitRepoUrl")

# Epoch values above this are milliseconds (year 2286 in seconds, 1970-04-26 in ms).
_MS_THRESHOLD = 10_000_000_000


#: Run ``status`` (``mlflow.entities.RunStatus``, proto values).
RUN_STATUS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
#: Run ``source_type``: proto values, plus 5 = UNKNOWN of the Python ``SourceType`` class.
SOURCE_TYPE = {1: "NOTEBOOK", 2: "JOB", 3: "PROJECT", 4: "LOCAL", 5: "UNKNOWN", 1000: "UNKNOWN"}
#: Logged model ``status`` (``LoggedModelStatus`` proto).
LOGGED_MODEL_STATUS = {
    0: "LOGGED_MODEL_STATUS_UNSPECIFIED",
    1: "LOGGED_MODEL_PENDING",
    2: "LOGGED_MODEL_READY",
    3: "LOGGED_MODEL_UPLOAD_FAILED",
}
#: Model version ``status`` (``ModelVersionStatus`` proto); files normally hold the string.
VERSION_STATUS = {1: "PENDING_REGISTRATION", 2: "FAILED_REGISTRATION", 3: "READY"}


class BadValueError(ValueError):
    """A value that cannot be kept as it is: a timestamp out of range, a step past 64 bits.

    Its message is one plain clause naming the value ("timestamp 1e+300 is out of range");
    the pipeline adds the file.
    """


#: The range of a 64-bit integer (DuckDB BIGINT): metric steps must fit.
INT64 = (-(2**63), 2**63 - 1)


def enum_name(value: Any, names: Mapping[int, str]) -> str | None:
    """Map an integer enum to its name; strings pass through, unknown integers stay as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return names.get(value, str(value))
    return text(value)


def text(value: Any) -> str | None:
    """Return ``value`` as text, ``None`` for ``None`` and empty strings."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    out = str(value)
    return out if out != "" else None


def version_text(value: Any) -> str:
    """Return a model version as text: ``4``, ``4.0`` and ``"4"`` all give ``"4"``."""
    out = text(value)
    if out is None:
        raise ValueError("model version is empty")
    return out


def stage(value: Any) -> str | None:
    """Return the registry stage, or ``None`` for no stage (MLflow writes the string "None")."""
    out = text(value)
    if out is None or out.lower() == "none":
        return None
    return out


def timestamp(value: Any) -> datetime | None:
    """Parse a timestamp in any shape registries use into an aware UTC datetime.

    Accepts epoch milliseconds (MLflow), epoch seconds as int or float (SageMaker wire format),
    numeric strings, ISO-8601 with or without offset (naive means UTC), and ``datetime``.
    Returns ``None`` for ``None``, empty strings and zero (MLflow's "not set"). NaN, Infinity
    and epoch numbers outside years 1 to 9999 raise :class:`BadValueError`: a registry never
    writes them, so the file is damaged, and a gap must not pass for "not set".
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        stripped = value.strip()
        try:
            number = float(stripped)
        except ValueError:
            iso = stripped[:-1] + "+00:00" if stripped.endswith("Z") else stripped
            try:
                parsed = datetime.fromisoformat(iso)
            except ValueError as exc:
                raise ValueError(f"not a timestamp: {value!r}") from exc
            return timestamp(parsed)
        return timestamp(number)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise BadValueError(f"timestamp {value!r} is not a number")
        if value == 0:
            return None
        try:
            seconds = value / 1000.0 if abs(value) >= _MS_THRESHOLD else float(value)
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise BadValueError(
                f"timestamp {value!r} is out of range (epoch seconds or milliseconds of years "
                "1 to 9999)"
            ) from exc
    raise ValueError(f"not a timestamp: {value!r}")


def tags(value: Any) -> dict[str, str]:
    """Normalise tags given as a list of ``{key, value}``, a dict, or ``None``."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): text(v) or "" for k, v in value.items()}
    if isinstance(value, list):
        out: dict[str, str] = {}
        for item in value:
            if isinstance(item, Mapping) and "key" in item:
                out[str(item["key"])] = text(item.get("value")) or ""
            else:
                raise ValueError(f"tag entry is not {{key, value}}: {item!r}")
        return out
    raise ValueError(f"tags are neither a list nor a mapping: {type(value).__name__}")


def aliases(value: Any, *, version: str | None = None) -> dict[str, str]:
    """Normalise the four alias shapes into ``{alias: version}``.

    * registered model: ``[{"alias": "champion", "version": "4"}]``;
    * model version: ``["champion"]`` (needs ``version``);
    * FileStore 3.x registered model: ``{"champion": "4"}``;
    * ``None``/missing: ``{}``.
    """
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): version_text(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for item in value:
        if isinstance(item, Mapping):
            out[str(item["alias"])] = version_text(item["version"])
        elif version is not None:
            out[str(item)] = version
        else:
            raise ValueError(f"alias {item!r} has no version")
    return out


def git_commit(run_tags: Mapping[str, str]) -> str | None:
    """Return the git commit recorded in run tags (MLflow or Databricks), if any."""
    for key in GIT_COMMIT_TAGS:
        if run_tags.get(key):
            return run_tags[key]
    return None


def metric_value(value: Any) -> float | None:
    """Return a metric value as float, NaN and Infinity included (``None`` when absent).

    MLflow stores NaN and infinite metric values (a diverged loss is real data). They are
    kept here; the pipeline then stores them as missing values and says so in the ingest
    report (see :func:`govern.ingest.pipeline.report_non_finite`), so a rule over such a metric
    is not evaluated rather than compared with NaN.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadValueError(f"metric value {value!r} is not a number")
    if isinstance(value, str):
        value = value.strip()
    try:
        return float(value)
    except OverflowError as exc:
        raise BadValueError(f"metric value {value!r} is out of range") from exc
    except (TypeError, ValueError) as exc:
        raise BadValueError(f"metric value {value!r} is not a number") from exc


def step(value: Any) -> int:
    """Return a metric step as an int; it must fit in 64 bits (MLflow's ``BIGINT``)."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise BadValueError(f"metric step {value!r} is not an integer")
    try:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        out = int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise BadValueError(f"metric step {value!r} is not an integer") from exc
    if not INT64[0] <= out <= INT64[1]:
        raise BadValueError(f"metric step {value!r} is out of range (a 64-bit integer)")
    return out


def metric_history(key: str, points: Iterable[Mapping[str, Any]]) -> list[MetricPoint]:
    """Turn ``[{value, timestamp, step}]`` entries into :class:`MetricPoint` records."""
    out: list[MetricPoint] = []
    for p in points:
        if not isinstance(p, Mapping):
            raise BadValueError(f"metric {key!r} has an entry that is not an object: {p!r:.60}")
        out.append(
            MetricPoint(
                key=key,
                value=metric_value(p.get("value")),
                timestamp=timestamp(p.get("timestamp")),
                step=step(p.get("step")),
            )
        )
    return out


def json_in_json(value: Any) -> Any:
    """Parse a JSON document stored as a string inside JSON; non-strings are returned as is.

    A string that is not JSON (or nests too deep, or repeats a key) is returned as it is.
    """
    if isinstance(value, str) and value[:1] in ("{", "["):
        parsed = files.loads_embedded(value)
        return value if parsed is None else parsed
    return value


def dataset_source_uri(source: Any) -> str | None:
    """Return the location a dataset ``source`` JSON points at (uri, path, table name)."""
    parsed = json_in_json(source)
    if isinstance(parsed, Mapping):
        for key in ("uri", "url", "path", "delta_table_name", "table_name", "file"):
            if parsed.get(key):
                return str(parsed[key])
        return None
    return text(parsed)


def dataset_input(dataset: Mapping[str, Any], input_tags: Mapping[str, str]) -> DatasetInput:
    """Build a :class:`DatasetInput` from an MLflow dataset dict and its input tags."""
    source = text(dataset.get("source"))
    return DatasetInput(
        name=text(dataset.get("name")) or "",
        digest=text(dataset.get("digest")),
        context=input_tags.get("mlflow.data.context"),
        source_type=text(dataset.get("source_type")),
        source=source,
        source_uri=dataset_source_uri(source),
        schema=text(dataset.get("schema")),
        profile=text(dataset.get("profile")),
    )


def sha256_bytes(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


#: Artifact files that document a model's environment and flavors.
ARTIFACT_KINDS = {
    "MLmodel": "mlmodel",
    "conda.yaml": "conda",
    "python_env.yaml": "python_env",
    "requirements.txt": "requirements",
}


def scan_artifacts(
    root: Path,
    *,
    relative_to: Path | None = None,
    tree: files.Tree | None = None,
    notes: list[str] | None = None,
) -> list[Artifact]:
    """Find lineage-relevant artifact files (MLmodel, environment files) under ``root``.

    Model binaries are not read. Paths are recorded relative to ``relative_to`` (default
    ``root``) with forward slashes, so the same tree gives the same records on any machine.
    Only files inside ``tree`` (default: ``root`` itself) are read: a symlink leading out of
    it, a FIFO or a device is not opened, and is named in ``notes``.
    """
    tree = tree or files.Tree(root)
    skipped: list[tuple[Path, str]] = []
    if root.is_symlink() or root.exists():
        why = tree.why_not(root)
        if why is not None:
            skipped.append((root, why))
    found: list[Artifact] = []
    base = relative_to or root
    for path in tree.files(root, skipped):
        kind = ARTIFACT_KINDS.get(path.name)
        if kind is None:
            continue
        data = files.read_document(path, "model artifact file")
        flavors: tuple[str, ...] = ()
        detail: str | None = None
        if kind == "mlmodel":
            flavors, detail = _mlmodel_summary(data)
        found.append(
            Artifact(
                path=path.relative_to(base).as_posix(),
                kind=kind,
                sha256=sha256_bytes(data),
                flavors=flavors,
                detail=detail,
            )
        )
    if notes is not None:
        notes.extend(f"{path}: {why}." for path, why in skipped)
    return found


def _mlmodel_summary(data: bytes) -> tuple[tuple[str, ...], str | None]:
    """Return the flavors and a short summary (mlflow version, model_uuid) of an MLmodel file."""
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        return (), "MLmodel file does not parse as YAML"
    if not isinstance(doc, Mapping):
        return (), None
    flavors = doc.get("flavors")
    names = tuple(sorted(flavors)) if isinstance(flavors, Mapping) else ()
    info = {k: text(doc.get(k)) for k in ("mlflow_version", "model_uuid", "model_id", "run_id")}
    summary = json.dumps({k: v for k, v in info.items() if v}, sort_keys=True)
    return names, summary
