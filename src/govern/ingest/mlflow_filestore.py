"""An MLflow FileStore folder (``mlruns/``), as written by MLflow 2.x and 3.x.

The FileStore keeps one folder per experiment (``<exp>/meta.yaml``), one per run inside it
(``<exp>/<run>/meta.yaml``), params and tags as one file per key (the file content is the
value; keys with ``/`` are subfolders), metrics as one file per key with one line per logged
value (``<timestamp_ms> <value> <step>``: the full history), dataset inputs as
``<exp>/<run>/inputs/<id>/meta.yaml`` pointing at ``<exp>/datasets/<id>/meta.yaml``, MLflow 3
logged models under ``<exp>/models/m-<id>/``, and the model registry under
``models/<name>/`` (``version-<n>/`` per version, aliases as ``aliases/<alias>`` files).
Deleted experiments are moved to ``.trash/``; their runs count as deleted, as in the SQL store.

Enums are stored as integers (run ``status``, ``source_type``, logged-model ``status``) and are
turned into the strings every other MLflow source uses. Every file read is listed in
``Batch.files`` so the unit hash changes when any of them does; model binaries are never read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from govern.errors import IngestError, MalformedInputError
from govern.ingest import files
from govern.ingest import normalise as n
from govern.ingest.base import Candidate, Kind
from govern.ingest.mlflow_sql import local_artifact_dir
from govern.records.registry import (
    Artifact,
    Batch,
    DatasetInput,
    Experiment,
    LoggedModel,
    MetricPoint,
    ModelVersion,
    RegisteredModel,
    Run,
)

META = "meta.yaml"
TRASH = ".trash"
#: The model registry's folder at the root of the store.
REGISTRY = "models"
#: Folders of an experiment that are not runs (MLflow's ``RESERVED_EXPERIMENT_FOLDERS``).
RESERVED_EXPERIMENT_FOLDERS = frozenset({"tags", "datasets", "traces", "models"})

#: In a FileStore every experiment folder says so; give up after this many that do not.
_DETECT_PARSE_LIMIT = 3

_FIX_HINT = "The file may be truncated or hand-edited; restore it from a copy of the store."


def _quick_yaml(path: Path, tree: files.Tree) -> Mapping[str, Any] | None:
    """Parse a small YAML file for detection; ``None`` if it is missing or not a mapping."""
    try:
        if not tree.is_file(path) or path.stat().st_size > 65536:
            return None
        data, _ = files.read_bytes(path, limit=65536)
        doc = yaml.safe_load(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, IngestError):
        return None
    return doc if isinstance(doc, Mapping) else None


def _is_experiment_meta(doc: Mapping[str, Any] | None) -> bool:
    """Experiment keys, and not a logged model (which also has experiment_id and name)."""
    return (
        doc is not None
        and "experiment_id" in doc
        and "name" in doc
        and ("artifact_location" in doc or "lifecycle_stage" in doc)
        and "model_id" not in doc
        and "run_uuid" not in doc
        and "run_id" not in doc
    )


def _is_registered_model_meta(doc: Mapping[str, Any] | None) -> bool:
    """A registered model's keys (a logged model ``m-<id>`` has ``model_id``)."""
    return (
        doc is not None
        and "name" in doc
        and "creation_timestamp" in doc
        and "model_id" not in doc
        and "version" not in doc
    )


class MlflowFileStoreAdapter:
    """Adapter for MLflow FileStore folders (``mlruns/``)."""

    name = "mlflow-filestore"
    family = "registry"
    description = "MLflow FileStore folder (mlruns/), MLflow 2.x and 3.x"

    def detect(self, candidate: Candidate) -> bool:
        """A folder whose sub-folders are experiments (``<id>/meta.yaml``) or registered models.

        Only the folder's direct children and one level below are looked at, so this stays
        cheap on every folder of a walk. A run or experiment folder (which has its own
        ``meta.yaml``) and mlflow-export-import folders (JSON files) are not matched.
        """
        if candidate.kind is not Kind.DIRECTORY:
            return False
        root = candidate.path
        tree = candidate.tree()
        try:
            if (root / META).exists():
                return False
            children = tree.subdirs(root)
            parsed = 0
            for child in children:
                if child.name == REGISTRY or not tree.is_file(child / META):
                    continue
                if _is_experiment_meta(_quick_yaml(child / META, tree)):
                    return True
                parsed += 1
                if parsed >= _DETECT_PARSE_LIMIT:
                    break
            registry = root / REGISTRY
            if registry in children:
                return any(
                    _is_registered_model_meta(_quick_yaml(model / META, tree))
                    for model in tree.subdirs(registry)
                )
        except OSError:
            return False
        return False

    def read(self, candidate: Candidate) -> Batch:
        """Read every experiment, run, logged model, registered model and version."""
        return _Reader(candidate.path, candidate.tree()).read()


class _Reader:
    """One read of one FileStore; records every file it opens in ``batch.files``.

    Only files inside ``tree`` (the folder the user named) are read: a symlink leading out
    of it (``artifacts -> /etc``), a FIFO or a device is named in a note and not opened.
    """

    def __init__(self, root: Path, tree: files.Tree) -> None:
        self.root = root
        self.tree = tree
        self.batch = Batch()
        self.runs: list[Run] = []
        #: artifacts of logged models, attached to their source run at the end
        self.model_artifacts: dict[str, list[Artifact]] = defaultdict(list)

    # ----------------------------------------------------------------- files

    def _text(self, path: Path) -> str:
        """Read a text file (exact content) and record it."""
        why = self.tree.why_not(path)
        if why is not None:
            raise IngestError(f"is {why}.", path=path)
        data = files.read_document(path, "file of an MLflow FileStore")
        self.batch.files.append(path)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedInputError(
                f"is part of an MLflow FileStore but is not UTF-8 text (byte {exc.start}).",
                hint=_FIX_HINT,
                path=path,
            ) from exc

    def _meta(self, path: Path, what: str, required: tuple[str, ...]) -> Mapping[str, Any]:
        """Read a ``meta.yaml``; refuse it when it is not YAML or lacks a required key."""
        body = self._text(path)
        try:
            doc = yaml.safe_load(body)
        except RecursionError as exc:
            raise MalformedInputError(
                f"is the {what} meta.yaml of an MLflow FileStore but nests too deep to read.",
                hint=_FIX_HINT,
                path=path,
            ) from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or "parse error"
            raise MalformedInputError(
                f"is the {what} meta.yaml of an MLflow FileStore but is not valid YAML: "
                f"{problem}{where}.",
                hint=_FIX_HINT,
                path=path,
            ) from exc
        if not isinstance(doc, Mapping):
            found = "empty" if doc is None else f"a YAML {type(doc).__name__}"
            raise MalformedInputError(
                f"is the {what} meta.yaml of an MLflow FileStore but is {found}, "
                "not a mapping of fields.",
                hint=_FIX_HINT,
                path=path,
            )
        missing = [key for key in required if doc.get(key) in (None, "")]
        if missing:
            raise MalformedInputError(
                f"is the {what} meta.yaml of an MLflow FileStore but has no {', '.join(missing)}.",
                hint=_FIX_HINT,
                path=path,
            )
        return doc

    def _resources(self, folder: Path) -> dict[str, str]:
        """Read a params/tags folder: one file per key, nested folders for keys with ``/``."""
        out: dict[str, str] = {}
        for path in self._files(folder):
            out[path.relative_to(folder).as_posix()] = self._text(path)
        return out

    def _files(self, folder: Path) -> Iterator[Path]:
        skipped: list[tuple[Path, str]] = []
        self._skip(folder, skipped)
        yield from self.tree.files(folder, skipped)
        for path, why in skipped:
            self._note(f"{path}: {why}.")

    def _readable(self, path: Path) -> bool:
        """True for a regular file inside the tree.

        A path that exists but may not be read (a symlink out of the tree, a FIFO) is noted.
        """
        skipped: list[tuple[Path, str]] = []
        self._skip(path, skipped)
        for where, why in skipped:
            self._note(f"{where}: {why}.")
        return not skipped and path.is_file()

    def _skip(self, path: Path, skipped: list[tuple[Path, str]]) -> None:
        """Note ``path`` itself when it exists but may not be read."""
        if path.is_symlink() or path.exists():
            why = self.tree.why_not(path)
            if why is not None:
                skipped.append((path, why))

    def _subdirs(self, folder: Path) -> list[Path]:
        """Visible sub-folders that may be walked; the others are noted."""
        skipped: list[tuple[Path, str]] = []
        self._skip(folder, skipped)
        if self.tree.is_dir(folder):
            for child in sorted(folder.iterdir()):
                if not child.name.startswith(".") and (child.is_symlink() or child.is_dir()):
                    self._skip(child, skipped)
        for path, why in skipped:
            self._note(f"{path}: {why}.")
        return self.tree.subdirs(folder)

    def _note(self, message: str) -> None:
        self.batch.notes.append(message)

    # ------------------------------------------------------------ the store

    def read(self) -> Batch:
        for exp_dir in self._subdirs(self.root):
            if exp_dir.name != REGISTRY:
                self._experiment(exp_dir, trashed=False)
        for exp_dir in self._subdirs(self.root / TRASH):
            self._experiment(exp_dir, trashed=True)
        for run in self.runs:
            extra = self.model_artifacts.get(run.run_id)
            if extra:
                run = replace(run, artifacts=(*run.artifacts, *extra))
            self.batch.runs.append(run)
        for model_dir in self._subdirs(self.root / REGISTRY):
            self._registered_model(model_dir)
        return self.batch

    def _experiment(self, exp_dir: Path, *, trashed: bool) -> None:
        meta_path = exp_dir / META
        if not self._readable(meta_path):
            self._note(f"{exp_dir}: folder without meta.yaml in an MLflow FileStore, skipped.")
            return
        meta = self._meta(meta_path, "experiment", ("experiment_id", "name"))
        experiment_id = n.text(meta["experiment_id"]) or exp_dir.name
        lifecycle = n.text(meta.get("lifecycle_stage")) or ("deleted" if trashed else "active")
        self.batch.experiments.append(
            Experiment(
                experiment_id=experiment_id,
                name=n.text(meta["name"]),
                artifact_location=n.text(meta.get("artifact_location")),
                lifecycle_stage="deleted" if trashed else lifecycle,
                created_at=self._ts(meta, "creation_time", meta_path),
                updated_at=self._ts(meta, "last_update_time", meta_path),
                tags=self._resources(exp_dir / "tags"),
            )
        )
        datasets = self._datasets(exp_dir / "datasets")
        for model_dir in self._subdirs(exp_dir / "models"):
            self._logged_model(model_dir)
        for run_dir in self._subdirs(exp_dir):
            if run_dir.name not in RESERVED_EXPERIMENT_FOLDERS:
                self._run(run_dir, datasets, trashed=trashed)

    def _datasets(self, folder: Path) -> dict[str, Mapping[str, Any]]:
        out: dict[str, Mapping[str, Any]] = {}
        for dataset_dir in self._subdirs(folder):
            meta_path = dataset_dir / META
            if self._readable(meta_path):
                out[dataset_dir.name] = self._meta(meta_path, "dataset", ("name",))
        return out

    def _run(
        self, run_dir: Path, datasets: Mapping[str, Mapping[str, Any]], *, trashed: bool
    ) -> None:
        meta_path = run_dir / META
        if not self._readable(meta_path):
            self._note(f"{run_dir}: folder without meta.yaml in an MLflow experiment, skipped.")
            return
        meta = self._meta(meta_path, "run", ("experiment_id",))
        run_id = n.text(meta.get("run_id")) or n.text(meta.get("run_uuid"))
        if run_id is None:
            raise MalformedInputError(
                "is the run meta.yaml of an MLflow FileStore but has no run_id or run_uuid.",
                hint=_FIX_HINT,
                path=meta_path,
            )
        tags = self._resources(run_dir / "tags")
        lifecycle = n.text(meta.get("lifecycle_stage")) or "active"
        self.runs.append(
            Run(
                run_id=run_id,
                experiment_id=n.text(meta["experiment_id"]),
                run_name=n.text(meta.get("run_name")) or tags.get("mlflow.runName"),
                # MLflow writes RUNNING when the file has no status
                status=n.enum_name(meta.get("status", 1), n.RUN_STATUS),
                user_id=n.text(meta.get("user_id")) or tags.get("mlflow.user"),
                start_time=self._ts(meta, "start_time", meta_path),
                end_time=self._ts(meta, "end_time", meta_path),
                artifact_uri=n.text(meta.get("artifact_uri")),
                lifecycle_stage="deleted" if trashed else lifecycle,
                source_name=tags.get("mlflow.source.name")
                or tags.get("mlflow.databricks.notebookPath")
                or n.text(meta.get("source_name")),
                source_type=tags.get("mlflow.source.type")
                or n.enum_name(meta.get("source_type"), n.SOURCE_TYPE),
                git_commit=n.git_commit(tags),
                params=self._resources(run_dir / "params"),
                tags=tags,
                metrics=tuple(self._metrics(run_dir / "metrics")),
                datasets=tuple(self._inputs(run_dir, run_id, datasets)),
                artifacts=tuple(self._run_artifacts(run_dir, n.text(meta.get("artifact_uri")))),
            )
        )

    def _metrics(self, folder: Path) -> list[MetricPoint]:
        """Every logged value of every metric: ``<timestamp> <value> [<step> [...]]`` lines.

        Two fields (no step) are MLflow < 1.0; five add the dataset name and digest.
        """
        points: list[MetricPoint] = []
        for path in self._files(folder):
            key = path.relative_to(folder).as_posix()
            for number, line in enumerate(self._text(path).splitlines(), start=1):
                parts = line.split()
                if not parts:
                    continue
                try:
                    if len(parts) < 2:
                        raise ValueError("fewer than 2 fields")
                    points.append(
                        MetricPoint(
                            key=key,
                            value=n.metric_value(parts[1]),
                            timestamp=n.timestamp(int(parts[0])),
                            step=n.step(parts[2]) if len(parts) >= 3 else 0,
                        )
                    )
                except ValueError as exc:
                    raise MalformedInputError(
                        f"line {number} is not '<timestamp_ms> <value> <step>' ({exc}): "
                        f"{line.strip()[:80]!r}.",
                        hint=_FIX_HINT,
                        path=path,
                    ) from exc
        # MLflow 3 appends a run's metrics again when it links them to a logged model: the
        # same (timestamp, value, step) twice. The SQL store's primary key keeps one; so do we.
        unique = {(p.key, p.timestamp, p.step, repr(p.value)): p for p in points}
        return sorted(
            unique.values(), key=lambda p: (p.key, p.step, p.timestamp is None, p.timestamp)
        )

    def _inputs(
        self, run_dir: Path, run_id: str, datasets: Mapping[str, Mapping[str, Any]]
    ) -> list[DatasetInput]:
        """Dataset inputs; the run is the folder they are in (``destination_id`` is unreliable)."""
        out: list[DatasetInput] = []
        for input_dir in self._subdirs(run_dir / "inputs"):
            meta_path = input_dir / META
            if not self._readable(meta_path):
                continue
            meta = self._meta(meta_path, "run input", ("source_type", "source_id"))
            if n.text(meta["source_type"]) != "DATASET":
                continue
            dataset_id = str(meta["source_id"])
            dataset = datasets.get(dataset_id)
            if dataset is None:
                self._note(
                    f"{meta_path}: run {run_id} names dataset {dataset_id}, which is not in "
                    "the experiment's datasets/ folder; input skipped."
                )
                continue
            try:
                input_tags = n.tags(meta.get("tags"))
            except ValueError as exc:
                raise MalformedInputError(
                    f"has tags that are not a mapping of key: value ({exc}).",
                    hint=_FIX_HINT,
                    path=meta_path,
                ) from exc
            out.append(n.dataset_input(dataset, input_tags))
        return sorted(out, key=lambda d: (d.name, d.digest or "", d.context or ""))

    def _scan(self, folder: Path) -> list[Artifact]:
        """Scan an artifact folder for MLmodel and environment files; record what was read."""
        found = n.scan_artifacts(folder, tree=self.tree, notes=self.batch.notes)
        self.batch.files.extend(folder / a.path for a in found)
        return found

    def _run_artifacts(self, run_dir: Path, artifact_uri: str | None) -> list[Artifact]:
        """The run's ``artifacts/`` folder, and its artifact URI if it is another local folder."""
        in_tree = run_dir / "artifacts"
        found = self._scan(in_tree) if in_tree.is_dir() or in_tree.is_symlink() else []
        elsewhere = local_artifact_dir(self.root, artifact_uri)
        if elsewhere is not None and (
            not in_tree.is_dir() or elsewhere.resolve() != in_tree.resolve()
        ):
            found.extend(self._scan(elsewhere))
        return found

    def _logged_model(self, model_dir: Path) -> None:
        meta_path = model_dir / META
        if not self._readable(meta_path):
            self._note(f"{model_dir}: logged model folder without meta.yaml, skipped.")
            return
        meta = self._meta(meta_path, "logged model", ("model_id",))
        model = LoggedModel(
            model_id=str(meta["model_id"]),
            name=n.text(meta.get("name")),
            experiment_id=n.text(meta.get("experiment_id")),
            source_run_id=n.text(meta.get("source_run_id")),
            artifact_uri=n.text(meta.get("artifact_location")),
            status=n.enum_name(meta.get("status"), n.LOGGED_MODEL_STATUS),
            created_at=self._ts(meta, "creation_timestamp", meta_path),
            tags=self._resources(model_dir / "tags"),
        )
        self.batch.logged_models.append(model)
        if model.source_run_id is None:
            return
        in_tree = model_dir / "artifacts"
        folder = (
            in_tree
            if in_tree.is_dir() or in_tree.is_symlink()
            else local_artifact_dir(self.root, model.artifact_uri)
        )
        if folder is not None:
            self.model_artifacts[model.source_run_id].extend(
                replace(a, path=f"{model.model_id}/{a.path}") for a in self._scan(folder)
            )

    # -------------------------------------------------------------- registry

    def _registered_model(self, model_dir: Path) -> None:
        meta_path = model_dir / META
        if not self._readable(meta_path):
            self._note(f"{model_dir}: registered model folder without meta.yaml, skipped.")
            return
        meta = self._meta(meta_path, "registered model", ("name",))
        # the name as MLflow wrote it, not the (possibly escaped) folder name
        name = str(meta["name"])
        aliases = self._model_aliases(model_dir, meta, meta_path)
        for version_dir in self._subdirs(model_dir):
            if version_dir.name.startswith("version-") and self._readable(version_dir / META):
                version = self._version(version_dir, name)
                for alias in version.aliases:
                    aliases.setdefault(alias, version.version)
                self.batch.versions.append(version)
        self.batch.models.append(
            RegisteredModel(
                name=name,
                registry="mlflow",
                description=n.text(meta.get("description")),
                created_at=self._ts(meta, "creation_timestamp", meta_path),
                updated_at=self._ts(meta, "last_updated_timestamp", meta_path),
                user_id=n.text(meta.get("user_id")),
                tags=self._resources(model_dir / "tags"),
                aliases=aliases,
            )
        )

    def _model_aliases(
        self, model_dir: Path, meta: Mapping[str, Any], meta_path: Path
    ) -> dict[str, str]:
        """``aliases/<alias>`` files (what MLflow reads), else the ``aliases`` map in meta.yaml."""
        folder = model_dir / "aliases"
        if folder.is_dir():
            out: dict[str, str] = {}
            for alias, value in self._resources(folder).items():
                version = n.text(value.strip())
                if version is None:
                    raise MalformedInputError(
                        "is an alias file of an MLflow FileStore but holds no version.",
                        hint=_FIX_HINT,
                        path=folder / alias,
                    )
                out[alias] = version
            return out
        try:
            return n.aliases(meta.get("aliases"))
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedInputError(
                f"has aliases that are neither {{alias: version}} nor a list ({exc}).",
                hint=_FIX_HINT,
                path=meta_path,
            ) from exc

    def _version(self, version_dir: Path, model_name: str) -> ModelVersion:
        meta_path = version_dir / META
        meta = self._meta(meta_path, "model version", ("version",))
        version = n.version_text(meta["version"])
        source = n.text(meta.get("source"))
        model_id = n.text(meta.get("model_id"))
        if model_id is None and source and source.startswith("models:/m-"):
            model_id = source[len("models:/") :]
        # MLflow 2.x wrote the version's own aliases as a list; later ones use the model's map
        listed = meta.get("aliases")
        aliases = (
            tuple(str(a) for a in listed)
            if isinstance(listed, list) and all(isinstance(a, str) for a in listed)
            else ()
        )
        return ModelVersion(
            model_name=model_name,
            version=version,
            stage=n.stage(meta.get("current_stage")),
            status=n.enum_name(meta.get("status"), n.VERSION_STATUS),
            status_message=n.text(meta.get("status_message")),
            description=n.text(meta.get("description")),
            source=source,
            run_id=n.text(meta.get("run_id")),
            run_link=n.text(meta.get("run_link")),
            user_id=n.text(meta.get("user_id")),
            created_at=self._ts(meta, "creation_timestamp", meta_path),
            updated_at=self._ts(meta, "last_updated_timestamp", meta_path),
            model_id=model_id,
            tags=self._resources(version_dir / "tags"),
            aliases=aliases,
        )

    @staticmethod
    def _ts(meta: Mapping[str, Any], key: str, path: Path) -> datetime | None:
        """Parse a timestamp field (epoch ms), naming the file if it is not one."""
        try:
            return n.timestamp(meta.get(key))
        except ValueError as exc:
            raise MalformedInputError(
                f"field {key} is not a timestamp: {meta.get(key)!r}.", hint=_FIX_HINT, path=path
            ) from exc
