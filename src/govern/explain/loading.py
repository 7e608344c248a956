"""Find and load the model of a registered version from its MLflow artefacts (``MLmodel``).

Where: the artefact URIs the store recorded (the logged model's ``artifact_location``, the
version's ``source``, the run's artifact URI joined with the model's path), each rewritten by
the ``--artifact-root OLD=NEW`` mappings; then, when none is a local folder holding an
``MLmodel``, the folder the store ingested (an MLflow FileStore or an export-import folder),
searched for the logged model's or the run's artefacts.

How, by the ``MLmodel`` flavor (the fields MLflow's ``save_model`` writes for it):

* ``sklearn``: ``pickled_model`` and ``serialization_format``. A skops file loads when every
  type it names is in :data:`ALLOWED_MODULES` (scikit-learn and NumPy); any other type is
  refused by name. A pickle or cloudpickle file runs code when loaded, so it loads only when
  trusted (``--trust-model`` or the rule's ``trust_model: true``).
* ``xgboost``: ``data`` (``model.<model_format>``), ``model_format`` (``xgb``, ``json`` or
  ``ubj``) and ``model_class`` (``xgboost.core.Booster`` or one of XGBoost's scikit-learn
  classes, :data:`XGBOOST_CLASSES`; any other class is refused). The file is XGBoost's own
  JSON/UBJSON model format: data, not code, so no trust is needed.
* ``lightgbm``: ``data`` and ``model_class``. A ``lightgbm.basic.Booster`` is LightGBM's text
  model file (``model.lgb``): data, loaded without trust. A scikit-learn wrapper
  (``LGBMClassifier``, ``LGBMRegressor``) is saved like an ``sklearn`` model under
  ``serialization_format``: skops (allowing LightGBM's own types too) or, only when trusted,
  pickle/cloudpickle.

XGBoost and LightGBM load only when the package is installed (``pip install 'govern[boost]'``);
otherwise the reason names that extra.

Every failure raises :class:`ModelUnavailable` with a plain reason, which the check turns into
a ``not_evaluated`` finding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

#: Module prefixes of the types a skops file may hold without ``--trust-model``.
ALLOWED_MODULES = ("sklearn.", "numpy.", "scipy.sparse.")

#: Flavors whose model govern can load (the others give a reason naming them).
FLAVORS = ("sklearn", "xgboost", "lightgbm")

#: ``serialization_format`` values of a scikit-learn model.
SKLEARN_FORMATS = ("skops", "pickle", "cloudpickle")

#: ``model_class`` values of the ``xgboost`` flavor govern instantiates (then ``load_model``).
XGBOOST_CLASSES = (
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
    "xgboost.sklearn.XGBRanker",
    "xgboost.sklearn.XGBRFClassifier",
    "xgboost.sklearn.XGBRFRegressor",
)

#: Types a skops file of a LightGBM scikit-learn wrapper may hold besides scikit-learn/NumPy
#: (the set MLflow's ``mlflow.lightgbm`` trusts by default).
LIGHTGBM_SKOPS_TYPES = (
    "collections.OrderedDict",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
)


class ModelUnavailable(Exception):
    """The model could not be found or was refused; ``str(exc)`` is the reason for users."""


@dataclass(frozen=True)
class LoadOptions:
    """How models are found and loaded (``govern check --trust-model --artifact-root``)."""

    #: load pickle / cloudpickle models (they run code when loaded)
    trust_model: bool = False
    #: ``(OLD, NEW)`` URI prefix rewrites, tried in order
    artifact_roots: tuple[tuple[str, str], ...] = ()


#: The options of this command (set by the CLI; the defaults trust nothing and map nothing).
OPTIONS: ContextVar[LoadOptions | None] = ContextVar("govern_explain_options", default=None)


def options() -> LoadOptions:
    """The load options of this command (the defaults when the CLI set none)."""
    return OPTIONS.get() or LoadOptions()


def parse_roots(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``OLD=NEW`` strings as pairs; raise ValueError naming a value without ``=``."""
    out = []
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old or not new:
            raise ValueError(f"--artifact-root {value!r} is not OLD=NEW")
        out.append((old, new))
    return tuple(out)


@dataclass(frozen=True)
class LoadedModel:
    """A loaded model and where it came from."""

    model: Any
    #: the folder holding ``MLmodel``
    folder: Path
    #: the model file that was loaded
    path: Path
    #: SHA-256 of the model file
    digest: str
    #: ``skops``, ``pickle``, ``cloudpickle``, ``xgboost <model_format>`` or ``lightgbm``
    serialization: str
    #: the model's input names (``feature_names_in_``, else the MLmodel signature), if known
    features: tuple[str, ...]


def local_path(uri: str, roots: Sequence[tuple[str, str]]) -> Path | None:
    """The local folder ``uri`` names after the mappings, or None (another scheme)."""
    for old, new in roots:
        if uri.startswith(old):
            uri = new + uri[len(old) :]
            break
    if uri.startswith("/"):
        return Path(uri)
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    return None


def _query(con: Any, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    try:
        rows: list[tuple[Any, ...]] = con.execute(sql, list(params)).fetchall()
    except Exception:
        return []
    return rows


def candidate_uris(con: Any, version: Any) -> list[str]:
    """The artefact URIs the store recorded for ``version``'s model, best first."""
    out: list[str] = []
    model_id = getattr(version, "model_id", None)
    if model_id:
        out += [r[0] for r in _query(
            con, "SELECT artifact_uri FROM logged_models WHERE model_id = ?", [model_id]
        ) if r[0]]  # fmt: skip
    source = getattr(version, "source", None) or ""
    run_uri = getattr(version, "run_artifact_uri", None)
    if source.startswith("runs:/") and run_uri:
        sub = source[len("runs:/") :].partition("/")[2]
        out.append(run_uri.rstrip("/") + "/" + sub)
    elif source and not source.startswith("models:/"):
        out.append(source)
    run_id = getattr(version, "run_id", None)
    if run_id and run_uri:
        for (path,) in _query(
            con, "SELECT path FROM artifacts WHERE run_id = ? AND kind = 'mlmodel' ORDER BY path",
            [run_id],
        ):  # fmt: skip
            sub = path.rpartition("/")[0]
            if sub and not sub.startswith("m-"):
                out.append(run_uri.rstrip("/") + "/" + sub)
    return list(dict.fromkeys(out))


def _export_roots(con: Any, version: Any) -> list[Path]:
    """The folders ingested for the version's run or logged model."""
    shas = [r[0] for r in _query(
        con, "SELECT source_sha FROM logged_models WHERE model_id = ? UNION ALL "
        "SELECT source_sha FROM runs WHERE run_id = ?",
        [getattr(version, "model_id", None), getattr(version, "run_id", None)],
    )]  # fmt: skip
    roots = []
    for sha in dict.fromkeys(shas):
        for (path,) in _query(con, "SELECT path FROM sources WHERE sha256 = ?", [sha]):
            folder = Path(path)
            roots.append(folder if folder.is_dir() else folder.parent)
    return roots


def _beside_export(roots: Sequence[Path], version: Any, uris: Sequence[str]) -> Path | None:
    """An ``MLmodel`` folder for the version inside an ingested folder, or None."""
    model_id = getattr(version, "model_id", None)
    run_id = getattr(version, "run_id", None)
    tails = [uri.rstrip("/").rsplit("/", 1)[-1] for uri in uris]
    for root in roots:
        if model_id:
            for found in sorted(root.glob(f"**/{model_id}/artifacts/MLmodel")):
                return found.parent
        if run_id:
            for tail in tails:
                for found in sorted(root.glob(f"**/{run_id}/artifacts/{tail}/MLmodel")):
                    return found.parent
        for tail in tails:  # an export-import folder of one version: run/artifacts/<path>
            if (root / "run" / "artifacts" / tail / "MLmodel").is_file():
                return root / "run" / "artifacts" / tail
    return None


def locate(con: Any, version: Any, options: LoadOptions) -> tuple[Path, list[str]]:
    """The local folder holding ``version``'s ``MLmodel``, and the places tried before it.

    Raises :class:`ModelUnavailable` when there is none.
    """
    uris = candidate_uris(con, version)
    tried = []
    for uri in uris:
        folder = local_path(uri, options.artifact_roots)
        if folder is None:
            tried.append(f"{uri} (not a local path: map it with --artifact-root OLD=NEW)")
        elif (folder / "MLmodel").is_file():
            return folder, tried
        else:
            tried.append(f"{folder} (no MLmodel)")
    found = _beside_export(_export_roots(con, version), version, uris)
    if found is not None:
        return found, tried
    where = "; ".join(tried) if tried else "no artefact URI is recorded for it"
    raise ModelUnavailable(
        f"the model artefacts of {version.model} v{version.version} were not found: {where}"
    )


def recorded_mlmodels(con: Any, version: Any) -> set[str]:
    """SHA-256 of the ``MLmodel`` files ingested for ``version``'s model (empty: none recorded)."""
    run_id = getattr(version, "run_id", None)
    model_id = getattr(version, "model_id", None)
    rows = _query(
        con, "SELECT path, sha256 FROM artifacts WHERE run_id = ? AND kind = 'mlmodel'", [run_id]
    )
    if model_id:
        return {sha for path, sha in rows if path == f"{model_id}/MLmodel"}
    return {sha for path, sha in rows if not str(path).startswith("m-")}


def load_version(con: Any, version: Any, options: LoadOptions) -> LoadedModel:
    """Find and load ``version``'s model; raise :class:`ModelUnavailable` with every reason.

    When the store recorded the version's ``MLmodel`` at ingest, the one found must be the
    same file (SHA-256): an ``--artifact-root`` pointing at another model is refused.
    """
    folder, tried = locate(con, version, options)
    recorded = recorded_mlmodels(con, version)
    if recorded:
        digest = _sha256(folder / "MLmodel")
        if digest not in recorded:
            shown = ", ".join(sorted(r[:12] for r in recorded))
            raise ModelUnavailable(
                f"{folder / 'MLmodel'} (SHA-256 {digest[:12]}) is not the MLmodel ingested for "
                f"{version.model} v{version.version} ({shown}): another model's artefacts are "
                "not used"
            )
    try:
        return load(folder, options)
    except ModelUnavailable as exc:
        if not tried:
            raise
        raise ModelUnavailable(f"{exc}; also tried: {'; '.join(tried)}") from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def refused_types(types: Sequence[str]) -> list[str]:
    """Of the types a skops file names, those govern does not allow."""
    return [t for t in types if not t.startswith(ALLOWED_MODULES)]


def load(folder: Path, options: LoadOptions) -> LoadedModel:
    """Load the model of the ``MLmodel`` in ``folder``; raise :class:`ModelUnavailable`."""
    import yaml

    try:
        meta = yaml.safe_load((folder / "MLmodel").read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ModelUnavailable(f"{folder / 'MLmodel'} could not be read: {exc}") from exc
    flavors = meta.get("flavors") if isinstance(meta, dict) else None
    if not isinstance(flavors, dict) or not any(f in flavors for f in FLAVORS):
        names = ", ".join(sorted(flavors)) if isinstance(flavors, dict) else "none"
        raise ModelUnavailable(
            f"{folder / 'MLmodel'}: no flavor govern loads (flavors: {names}); govern loads "
            f"{', '.join(FLAVORS)} models"
        )
    if "sklearn" in flavors:
        model, path, fmt = _sklearn(folder, flavors["sklearn"] or {}, options, ())
    elif "xgboost" in flavors:
        model, path, fmt = _xgboost(folder, flavors["xgboost"] or {})
    else:
        model, path, fmt = _lightgbm(folder, flavors["lightgbm"] or {}, options)
    features = _feature_names(model) or _signature_inputs(meta)
    return LoadedModel(model, folder, path, _sha256(path), fmt, features)


def _model_file(folder: Path, name: Any) -> Path:
    """The model file ``name`` inside ``folder``; refused outside it, reasoned when missing."""
    if not name:
        raise ModelUnavailable(f"{folder / 'MLmodel'} names no model file")
    path = folder / str(name)
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ModelUnavailable(
            f"{folder / 'MLmodel'} names a model file outside its folder ({name}): refused"
        )
    if not path.is_file():
        raise ModelUnavailable(
            f"the model file {path} named by MLmodel is missing (exports often leave it out: "
            "point govern at the full artefacts with --artifact-root OLD=NEW)"
        )
    return path


def _sklearn(
    folder: Path, flavor: Any, options: LoadOptions, allowed: Sequence[str]
) -> tuple[Any, Path, str]:
    """A scikit-learn(-compatible) model saved as skops, pickle or cloudpickle."""
    fmt = str(flavor.get("serialization_format") or "cloudpickle")
    name = flavor.get("pickled_model") or flavor.get("data")
    if fmt not in SKLEARN_FORMATS or not name:
        raise ModelUnavailable(f"{folder / 'MLmodel'}: unsupported sklearn model {fmt!r}")
    path = _model_file(folder, name)
    if fmt == "skops":
        return _load_skops(path, allowed), path, fmt
    if not options.trust_model:
        raise ModelUnavailable(
            f"{path} is a {fmt} file, which runs code when loaded: refused. Load it only if you "
            "trust its source, with govern check --trust-model (or trust_model: true in the rule)"
        )
    return _load_pickle(path, fmt), path, fmt


def _boost_missing(path: Path, package: str) -> ModelUnavailable:
    return ModelUnavailable(
        f"{path} is a {package} model and {package} is not installed: pip install 'govern[boost]'"
    )


def _xgboost(folder: Path, flavor: Any) -> tuple[Any, Path, str]:
    """An XGBoost model in XGBoost's own format (``mlflow.xgboost``: data, model_class)."""
    fmt = str(flavor.get("model_format") or "xgb")
    cls = str(flavor.get("model_class") or "xgboost.core.Booster")
    if cls not in XGBOOST_CLASSES:
        raise ModelUnavailable(
            f"{folder / 'MLmodel'}: XGBoost model class {cls} is not one govern loads "
            f"({', '.join(XGBOOST_CLASSES)})"
        )
    path = _model_file(folder, flavor.get("data") or f"model.{fmt}")
    try:
        import xgboost
    except ImportError as exc:
        raise _boost_missing(path, "xgboost") from exc
    model = getattr(xgboost, cls.rpartition(".")[2])()
    try:  # from bytes: XGBoost reads JSON or UBJSON by content, whatever the file's extension
        model.load_model(bytearray(path.read_bytes()))
    except Exception as exc:
        raise ModelUnavailable(f"{path} could not be loaded with XGBoost: {exc}") from exc
    return model, path, f"xgboost {fmt}"


def _lightgbm(folder: Path, flavor: Any, options: LoadOptions) -> tuple[Any, Path, str]:
    """A LightGBM Booster (text model file) or scikit-learn wrapper (``mlflow.lightgbm``)."""
    cls = str(flavor.get("model_class") or "lightgbm.basic.Booster")
    if cls != "lightgbm.basic.Booster":
        try:  # the skops or pickle file's classes live there
            import lightgbm
        except ImportError as exc:
            raise _boost_missing(folder / str(flavor.get("data") or "model"), "lightgbm") from exc
        return _sklearn(folder, flavor, options, LIGHTGBM_SKOPS_TYPES)
    path = _model_file(folder, flavor.get("data") or "model.lgb")
    try:
        import lightgbm
    except ImportError as exc:
        raise _boost_missing(path, "lightgbm") from exc
    try:
        text = path.read_text(encoding="utf-8")
        return lightgbm.Booster(model_str=text), path, "lightgbm"
    except Exception as exc:
        raise ModelUnavailable(f"{path} could not be loaded with LightGBM: {exc}") from exc


def _feature_names(model: Any) -> tuple[str, ...]:
    """The model's input names: ``feature_names_in_``, a booster's names, else none."""
    names = list(getattr(model, "feature_names_in_", ()))
    if not names and callable(getattr(model, "feature_name", None)):  # lightgbm.Booster
        names = list(model.feature_name())
        if all(str(n).startswith("Column_") for n in names):  # trained without names
            names = []
    if not names and isinstance(getattr(model, "feature_names", None), list):  # xgboost.Booster
        names = list(model.feature_names)
    return tuple(str(f) for f in names)


def _load_skops(path: Path, allowed: Sequence[str] = ()) -> Any:
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ModelUnavailable(
            f"{path} is a skops file and skops is not installed: pip install 'govern[explain]'"
        ) from exc
    try:
        types = list(sio.get_untrusted_types(file=path))
    except Exception as exc:
        raise ModelUnavailable(f"{path} is not a readable skops file: {exc}") from exc
    refused = [t for t in refused_types(types) if t not in allowed]
    if refused:
        raise ModelUnavailable(
            f"{path} holds types govern does not load: {', '.join(sorted(refused))} "
            f"(allowed: types of {', '.join(m.rstrip('.') for m in ALLOWED_MODULES)})"
        )
    try:
        return sio.load(path, trusted=types)
    except Exception as exc:
        raise ModelUnavailable(f"{path} could not be loaded with skops: {exc}") from exc


def _load_pickle(path: Path, fmt: str) -> Any:
    import pickle

    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception as exc:
        raise ModelUnavailable(f"{path} could not be loaded ({fmt}): {exc}") from exc


def _signature_inputs(meta: Any) -> tuple[str, ...]:
    import json

    signature = meta.get("signature") if isinstance(meta, dict) else None
    inputs = signature.get("inputs") if isinstance(signature, dict) else None
    try:
        parsed = json.loads(inputs) if isinstance(inputs, str) else []
    except ValueError:
        return ()
    return tuple(str(i["name"]) for i in parsed if isinstance(i, dict) and i.get("name"))
