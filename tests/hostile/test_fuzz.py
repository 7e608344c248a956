"""Fuzz ingest: mutated real inputs are loaded or refused plainly, never "unexpectedly".

Real JSON exports (``tests/fixtures``, the demo's ``exports/``) and a CSV and a JSON Lines
prediction log (the first rows of the demo's reference log) are mutated, with a fixed seed and
a bounded count, and go through ``govern ingest`` via typer's CliRunner. Every case must exit
0 (loaded, perhaps with notes) or 2 (refused with a plain message); exit 3 ("govern failed
unexpectedly") or a traceback fails the test, and on exit 2 the store must be unchanged.

Mutations: truncation, byte flips, inserted bytes; on a parsed document, deleting or
duplicating a key, swapping a value's type, huge numbers (1e300, 2**70, -1e20), NaN and
Infinity, deep nesting, long strings, emptied containers; on a log, repeated or renamed
header cells (``__ts``), cells replaced by such values, duplicated and deleted lines. An
MLflow FileStore (``mlruns/``) has one of its files mutated (a meta.yaml value, a metric
line, bytes, or a FIFO, a symlink to ``/dev/zero`` or out of the tree, a loop), and SageMaker
Data Capture and ground-truth JSON Lines go through as logs. Each case has a time limit, so a
hang fails instead of blocking.

Set ``GOVERN_FUZZ_SEED``/``GOVERN_FUZZ_COUNT`` to explore further; CI uses the defaults.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from govern.cli.main import app
from govern.demo import DEMO_DIR
from govern.store.store import Store
from tests.conftest import FIXTURES, dump_store

SEED = int(os.environ.get("GOVERN_FUZZ_SEED", "20261203"))
JSON_CASES = int(os.environ.get("GOVERN_FUZZ_COUNT", "72"))
LOG_CASES = JSON_CASES // 2
TREE_CASES = JSON_CASES // 6
#: Seed files larger than this are left out (time, not coverage).
MAX_SEED_BYTES = 200_000
LOG_ARGS = ["--model", "credit-risk", "--role", "current", "--timestamp", "ts",
            "--prediction", "approved", "--score", "score", "--sensitive", "sex"]  # fmt: skip

Mutation = Callable[[random.Random, bytes], bytes]


def _parses(path: Path) -> bool:
    try:
        json.loads(path.read_bytes())
    except ValueError:  # one upstream sample is itself broken (a cut-off string)
        return False
    return True


def _json_seeds() -> list[Path]:
    roots = [FIXTURES, DEMO_DIR / "exports"]
    found = [
        p
        for root in roots
        for p in root.rglob("*.json")
        if p.stat().st_size <= MAX_SEED_BYTES and "schemas" not in p.parts and _parses(p)
    ]
    return sorted(found)


# ----------------------------------------------------------------- document-level mutations

HUGE: list[Any] = [1e300, -1e300, 2**70, -(2**70), 1e20, 10**400, math.nan, math.inf, -math.inf]
ODD: list[Any] = [None, True, "", "x" * 5000, [], {}, "NaN", "1e300", -1, 0, "\u202e\x1b[31m"]


def _nodes(doc: Any) -> list[tuple[Any, Any]]:
    """Every (container, key-or-index) slot of a parsed document, in a stable order."""
    out: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in list(item):
                out.append((item, key))
                stack.append(item[key])
        elif isinstance(item, list):
            for index in range(len(item)):
                out.append((item, index))
                stack.append(item[index])
    return out


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _mutate_doc(rng: random.Random, doc: Any) -> tuple[Any, str]:
    slots = _nodes(doc)
    if not slots:
        return _deep(3000), "deep-root"
    container, key = rng.choice(slots)
    kind = rng.choice(["delete", "swap", "huge", "odd", "deep", "empty", "stringify"])
    if kind == "delete":
        del container[key]
    elif kind == "swap":
        value = container[key]
        swapped: dict[type, Any] = {
            str: 12345,
            int: "12345",
            float: "0.5",
            bool: "true",
            list: {"0": 1},
            dict: [1, 2],
            type(None): {},
        }
        container[key] = swapped.get(type(value))
    elif kind == "huge":
        container[key] = rng.choice(HUGE)
    elif kind == "odd":
        container[key] = rng.choice(ODD)
    elif kind == "deep":
        container[key] = _deep(rng.choice([250, 1500, 4000]))
    elif kind == "empty":
        value = container[key]
        container[key] = type(value)() if isinstance(value, list | dict | str) else None
    else:
        container[key] = _dump(container[key]).decode()
    return doc, kind


def _dump(doc: Any) -> bytes:
    try:
        return json.dumps(doc, allow_nan=True).encode()
    except (RecursionError, ValueError):
        return b"[" * 5000


# --------------------------------------------------------------------- byte-level mutations


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(1, max(2, len(data)))]


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def _insert(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data) + 1)
    junk = rng.choice([b"\x00", b"\xff\xfe", b'"', b"{", b"]", b",", b"\n", b"NaN", b"1e999"])
    return data[:i] + junk + data[i:]


def _duplicate_key(rng: random.Random, data: bytes) -> bytes:
    """Repeat the first member of a random object (text level: json.dumps cannot)."""
    text = data.decode("utf-8", errors="replace")
    starts = [i for i, c in enumerate(text) if c == "{" and text[i + 1 : i + 2] == '"']
    if not starts:
        return data
    i = rng.choice(starts)
    end = text.find(",", i)
    if end < 0:
        return data
    return (text[: end + 1] + text[i + 1 : end + 1] + text[end + 1 :]).encode()


BYTES: list[tuple[str, Mutation]] = [
    ("truncate", _truncate),
    ("flip", _flip),
    ("insert", _insert),
    ("dupkey", _duplicate_key),
]


def _mutate_json(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    if rng.random() < 0.6:
        doc = json.loads(data)
        for _ in range(rng.randint(1, 3)):
            doc, kind = _mutate_doc(rng, doc)
        return _dump(doc), kind
    name, mutation = rng.choice(BYTES)
    return mutation(rng, data), name


# ------------------------------------------------------------------------ log mutations

CELLS = ["1e300", "-1e20", "1180591620717411303424", "nan", "inf", "-Infinity", "", "x",
         "2026-13-45", "9999999-01-01", '"', "\x00", "NULL", "true"]  # fmt: skip


def _mutate_csv(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    lines = data.decode().splitlines()
    kind = rng.choice(["cell", "header", "dupline", "dropline", "column", "bytes"])
    if kind == "cell":
        row = rng.randrange(1, len(lines))
        cells = lines[row].split(",")
        cells[rng.randrange(len(cells))] = rng.choice(CELLS)
        lines[row] = ",".join(cells)
    elif kind == "header":
        cells = lines[0].split(",")
        i = rng.randrange(len(cells))
        cells[i] = rng.choice(["__ts", "__govern_ts", cells[(i + 1) % len(cells)], "", "a*b"])
        lines[0] = ",".join(cells)
    elif kind == "dupline":
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == "dropline":
        del lines[rng.randrange(len(lines))]
    elif kind == "column":
        extra = [",extra"] + ["," + rng.choice(CELLS) for _ in lines[1:]]
        lines = [line + cell for line, cell in zip(lines, extra, strict=True)]
    else:
        name, mutation = rng.choice(BYTES[:3])
        return mutation(rng, data), name
    return ("\n".join(lines) + "\n").encode(), kind


def _mutate_jsonl(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    lines = data.decode().splitlines()
    kind = rng.choice(["record", "record", "dupkey", "dupline", "bytes", "deep"])
    i = rng.randrange(len(lines))
    if kind == "record":
        record, kind = _mutate_doc(rng, json.loads(lines[i]))
        lines[i] = _dump(record).decode()
    elif kind == "dupkey":
        lines[i] = _duplicate_key(rng, lines[i].encode()).decode()
    elif kind == "dupline":
        lines.insert(i, lines[i])
    elif kind == "deep":
        lines[i] = '{"ts": ' + "[" * 3000 + "]" * 3000 + "}"
    else:
        name, mutation = rng.choice(BYTES[:3])
        return mutation(rng, data), name
    return ("\n".join(lines) + "\n").encode(), kind


# ------------------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A template store (one export loaded) and the two small logs to mutate."""
    from govern.ingest.pipeline import ingest

    folder = tmp_path_factory.mktemp("fuzz-base")
    db = folder / "base.duckdb"
    with Store.open(db) as store:
        ingest(
            store,
            [DEMO_DIR / "exports" / "sagemaker-describe-model-package.json"],
            now=datetime(2026, 12, 1, tzinfo=UTC),
        )
    import duckdb

    reference = str(DEMO_DIR / "logs" / "reference.parquet")
    con = duckdb.connect()
    try:
        for name, options in (("log.csv", "FORMAT csv, HEADER"), ("log.jsonl", "FORMAT json")):
            con.execute(
                "COPY (SELECT ts, approved, score, sex, appinc, race "
                f"FROM read_parquet(?) ORDER BY ts LIMIT 40) TO '{folder / name}' ({options})",
                [reference],
            )
    finally:
        con.close()
    return {"db": db, "csv": folder / "log.csv", "jsonl": folder / "log.jsonl"}


@pytest.fixture(scope="module")
def base_rows(base: dict[str, Path]) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the template store (what an exit-2 case must leave)."""
    return dump_store(base["db"])


MONITOR = FIXTURES / "public" / "sagemaker-python-sdk" / "tests" / "data" / "monitor"
CAPTURE = [MONITOR / "captured-data.jsonl", MONITOR / "capture.jsonl", MONITOR / "actuals.jsonl"]
MLRUNS = [FIXTURES / "mlflow" / "v2" / "mlruns", FIXTURES / "mlflow" / "v3" / "mlruns"]
YAML_VALUES = ["1e300", "-1e20", "1180591620717411303424", ".nan", ".inf", "'x'", "[1, 2]",
               "{a: 1}", "null", "''", "&a [*a]", "!!python/object:os.system {}"]  # fmt: skip


def _mutate_tree(rng: random.Random, root: Path) -> str:
    """Mutate one file of a copied FileStore in place; return what was done."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    target = rng.choice(files)
    data = target.read_bytes()
    if rng.random() < 0.15:  # a special file in place of a real one (issue 9, item 3)
        special = rng.choice(["/dev/zero", "/etc/hostname", "fifo", "loop", "dangling"])
        target.unlink()
        if special == "fifo":
            os.mkfifo(target)
        elif special == "loop":
            target.symlink_to(target.parent)
        elif special == "dangling":
            target.symlink_to(target.parent / "nowhere")
        else:
            target.symlink_to(special)
        return f"{special} {target.relative_to(root)}"
    if target.name == "meta.yaml" and rng.random() < 0.7:
        lines = data.decode().splitlines()
        i = rng.randrange(len(lines))
        key = lines[i].split(":", 1)[0]
        lines[i] = f"{key}: {rng.choice(YAML_VALUES)}"
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return f"yaml {target.relative_to(root)}"
    if "metrics" in target.parts and rng.random() < 0.7:
        fields = data.decode().split()
        fields[rng.randrange(len(fields))] = rng.choice(CELLS[:7])
        target.write_text(" ".join(fields) + "\n", encoding="utf-8")
        return f"metric {target.relative_to(root)}"
    name, mutation = rng.choice(BYTES[:3])
    target.write_bytes(mutation(rng, data) if data else b"\xff")
    return f"{name} {target.relative_to(root)}"


def _cases() -> list[tuple[str, int]]:
    seeds = _json_seeds()
    rng = random.Random(SEED)
    cases = [(str(rng.choice(seeds)), i) for i in range(JSON_CASES)]
    cases += [("csv", i) for i in range(LOG_CASES // 3)]
    cases += [("jsonl", i) for i in range(LOG_CASES // 3)]
    cases += [(str(rng.choice(CAPTURE)), i) for i in range(LOG_CASES - 2 * (LOG_CASES // 3))]
    cases += [(str(rng.choice(MLRUNS)), i) for i in range(TREE_CASES)]
    return cases


CASES = _cases()


def _id(case: tuple[str, int]) -> str:
    source, index = case
    parts = Path(source).parts
    name = f"{parts[-2]}-{parts[-1]}" if parts[-1] == "mlruns" else parts[-1]
    return f"{name}-{index}"


class _TimeLimitError(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _TimeLimitError("the case ran longer than 60 s (a hang on a FIFO?)")


@pytest.fixture
def time_limit() -> Iterator[None]:
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_mutated_input_is_loaded_or_refused_plainly(
    case: tuple[str, int],
    base: dict[str, Path],
    base_rows: dict[str, list[tuple[object, ...]]],
    tmp_path: Path,
    time_limit: None,
) -> None:
    source, index = case
    rng = random.Random(f"{SEED}-{source}-{index}")
    args: list[str] = []
    if source in ("csv", "jsonl"):
        mutate = _mutate_csv if source == "csv" else _mutate_jsonl
        data, kind = mutate(rng, base[source].read_bytes())
        target = tmp_path / f"log.{source}"
        target.write_bytes(data)
        args = LOG_ARGS
    elif source.endswith(".jsonl"):
        data, kind = _mutate_jsonl(rng, Path(source).read_bytes())
        target = tmp_path / Path(source).name
        target.write_bytes(data)
        args = ["--model", "credit-risk", "--role", "current"]
    elif source.endswith("mlruns"):
        target = tmp_path / "mlruns"
        shutil.copytree(source, target)
        kind = _mutate_tree(rng, target)
    else:
        data, kind = _mutate_json(rng, Path(source).read_bytes())
        target = tmp_path / Path(source).name
        target.write_bytes(data)
    db = tmp_path / "store" / "govern.duckdb"
    db.parent.mkdir()
    shutil.copyfile(base["db"], db)
    result = CliRunner().invoke(app, ["--db", str(db), "ingest", str(target), *args])
    where = f"{source} #{index} ({kind}); mutated input kept at {target}"
    assert result.exit_code in (0, 2), f"{where}\n{result.output}"
    assert "unexpectedly" not in result.output, f"{where}\n{result.output}"
    assert "Traceback" not in result.output, f"{where}\n{result.output}"
    if result.exit_code == 2:
        assert dump_store(db) == base_rows, where
