"""Counts of every reviewed window from DuckDB; no row reaches Python.

One scan gives each window's row counts (:class:`Profile`); one ``GROUPING SETS`` scan over
all windows at once (the window is a control column of
:func:`govern.metrics.fairness.count_groups`) gives the groups' counts and the rows without a
sensitive value per feature, and a second one over the labelled rows when only some rows have
labels; one scan per window gives its LL144 table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govern.checks.fairness import user_names
from govern.errors import UsageError
from govern.review.inputs import (
    BASE,
    KEYED,
    LABELLED,
    LL144,
    ROWS,
    Inputs,
    Slot,
    timestamp,
)
from govern.review.model import Missing
from govern.sql import present_sql, quote

if TYPE_CHECKING:
    from govern.metrics.fairness import CountedGroups, GroupCounts, LL144Table

__all__ = ["Counts", "GroupKey", "Profile"]

#: (control values, grouping): the key of a grouping's counts in one window
GroupKey = tuple[tuple[Any, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Profile:
    """A window's row counts."""

    rows: int = 0
    missing_prediction: int = 0
    missing_sensitive: int = 0
    reviewed: int = 0
    labelled: int = 0
    scored: int = 0


class Counts:
    """The counts of every window (see the module docstring), read once at construction."""

    def __init__(
        self,
        con: Any,
        inputs: Inputs,
        slots: Sequence[Slot],
        pos_label: Any,
        missing: Missing = "exclude",
    ) -> None:
        from govern.metrics.fairness_sql import is_floating, is_text, missing_predicate

        self.con = con
        self.inputs = inputs
        self.pos_label = pos_label
        self.missing = missing
        case = " ".join(
            f"WHEN __ts >= {timestamp(s.start)} AND __ts < {timestamp(s.end)} THEN {s.index}"
            for s in slots
        )
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {quote(KEYED)} AS SELECT * FROM "
            f"(SELECT *, CASE {case} END AS __window FROM {quote(BASE)}) "
            "WHERE __window IS NOT NULL"
        )
        columns = ", ".join(quote(s) for s in inputs.sensitive)
        described = con.execute(f"DESCRIBE SELECT {columns} FROM {quote(KEYED)}").fetchall()
        types = {str(r[0]): str(r[1]) for r in described}
        sens_null = " OR ".join(
            missing_predicate(quote(s), floating=is_floating(types[s]), text=is_text(types[s]))
            for s in inputs.sensitive
        )
        # rows without a sensitive value stay: each feature leaves out (or groups) its own
        valid = "__prediction IS NOT NULL"
        rows = con.execute(
            f"SELECT __window, count(*), "
            f"sum(CASE WHEN __prediction IS NULL THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN {valid} AND ({sens_null}) THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN {valid} THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN {valid} AND {present_sql('__label')} THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN {valid} AND {present_sql('__score')} THEN 1 ELSE 0 END) "
            f"FROM {quote(KEYED)} GROUP BY __window"
        ).fetchall()
        self.profiles = {int(r[0]): Profile(*(int(v or 0) for v in r[1:])) for r in rows}
        usable = sum(p.reviewed for p in self.profiles.values())
        labelled = sum(p.labelled for p in self.profiles.values())
        scored = sum(p.scored for p in self.profiles.values())
        has_score = any("score" in log.mapping for log in inputs.logs)
        self.use_score = has_score and usable > 0 and scored == usable
        self.unscored = usable - scored if has_score else 0
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {quote(ROWS)} AS SELECT * FROM {quote(KEYED)} "
            f"WHERE {valid}"
        )
        sel: list[GroupCounts] = []
        lab: list[GroupCounts] = []
        self.missing_rows: dict[GroupKey, int] = {}
        self.missing_labelled: dict[GroupKey, int] = {}
        common = {
            "prediction": "__prediction",
            "sensitive": inputs.sensitive,
            "pos_label": pos_label,
            "intersect": inputs.intersect,
            "controls": ("__window",),
            # fail: count them as for exclude, then the features that have any are not evaluated
            "missing": "group" if missing == "group" else "exclude",
        }
        if usable:
            every = labelled == usable
            counted = self._counts(
                ROWS,
                label="__label" if every else None,
                score="__score" if self.use_score else None,
                **common,
            )
            sel = counted.counts
            self.missing_rows = {(c, g): n for (g, c), n in counted.missing.items()}
            if every:
                lab = sel
                self.missing_labelled = self.missing_rows
            elif labelled:
                con.execute(
                    f"CREATE OR REPLACE TEMP VIEW {quote(LABELLED)} AS "
                    f"SELECT * FROM {quote(ROWS)} WHERE {present_sql('__label')}"
                )
                counted = self._counts(LABELLED, label="__label", **common)
                lab = counted.counts
                self.missing_labelled = {(c, g): n for (g, c), n in counted.missing.items()}
        self.selection = _index(sel)
        self.labelled = _index(lab)

    def _counts(self, relation: str, **kwargs: Any) -> CountedGroups:
        """:func:`~govern.metrics.fairness.count_groups`; bad data becomes a UsageError."""
        from govern.metrics.fairness import FairnessInputError, count_groups

        try:
            return count_groups(self.con, relation, **kwargs)
        except FairnessInputError as exc:
            message = user_names(exc.message, self.inputs.logs).rstrip(".")
            raise UsageError(message + ".", hint=exc.hint) from exc

    def profile(self, window: int) -> Profile:
        """A window's row counts (all 0 for a window without records)."""
        return self.profiles.get(window, Profile())

    def ll144(self, window: int) -> LL144Table | None:
        """The LL144 table of one window (one scan), or None without sex/race columns."""
        sex, race = self.inputs.sex, self.inputs.race
        if sex is None and race is None:
            return None

        from govern.metrics.fairness import FairnessInputError, ll144_table

        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {quote(LL144)} AS SELECT * FROM {quote(KEYED)} "
            f"WHERE __window = {int(window)} AND __prediction IS NOT NULL"
        )
        try:
            return ll144_table(
                self.con,
                LL144,
                sex=sex,
                race=race,
                prediction="__prediction",
                pos_label=self.pos_label,
            )
        except FairnessInputError as exc:
            message = user_names(exc.message, self.inputs.logs).rstrip(".")
            raise UsageError(message + ".", hint=exc.hint) from exc


def _index(counts: Sequence[GroupCounts]) -> dict[GroupKey, list[GroupCounts]]:
    out: dict[GroupKey, list[GroupCounts]] = {}
    for c in counts:
        out.setdefault((c.control, c.grouping), []).append(c)
    return out
