"""How strongly a feature is associated with a sensitive column, computed in DuckDB.

Two measures for the proxy screen of ``check: explainability`` (``proxy_screen.measure``):

* ``correlation``: the correlation ratio η of a numeric feature by the sensitive groups
  (:func:`correlation_ratio`);
* ``mutual_information``: the **normalised mutual information** of the (binned) feature and the
  sensitive column (:func:`mutual_information`), in [0, 1].

Mutual information is computed from the joint counts of the feature's value (or bin) and the
group: ``MI = sum p(x, s) ln(p(x, s) / (p(x) p(s)))`` in nats, and normalised by the arithmetic
mean of the two entropies, ``NMI = MI / ((H(X) + H(S)) / 2)``: scikit-learn's
``normalized_mutual_info_score`` with ``average_method="arithmetic"`` (its default). 0: the feature
says nothing about the group; 1: each determines the other. A numeric feature is first cut into
equal-frequency bins at its deciles (:data:`BINS` bins; equal values always share a bin, so a
feature with few values keeps them as they are); any other feature is used as it is. Rows where
either column is NULL (or the number is NaN) are left out. Unlike scikit-learn, which scores two
constant labelings as 1, a constant feature or group scores 0 here: it can reveal nothing.
"""

from __future__ import annotations

from typing import Any

from govern.sql import quote

#: Equal-frequency bins of a numeric feature for mutual information (cut at its deciles).
BINS = 10

#: The measures of ``proxy_screen.measure``.
MEASURES = ("correlation", "mutual_information")

_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
)


def correlation_ratio(con: Any, view: str, feature: str, sensitive: str) -> float:
    """The correlation ratio η of a numeric feature by the groups of a sensitive column.

    η² is the share of the feature's variance explained by the group means; η is in [0, 1]
    (for two groups, the absolute point-biserial correlation). Computed in DuckDB; 0 for a
    feature that is not numeric or constant.
    """
    x, g = quote(feature), quote(sensitive)
    sql = (
        f"WITH d AS (SELECT TRY_CAST({x} AS DOUBLE) AS x, CAST({g} AS VARCHAR) AS g "
        f"FROM {quote(view)} WHERE {g} IS NOT NULL), "
        "d2 AS (SELECT * FROM d WHERE x IS NOT NULL AND NOT isnan(x)), "
        "t AS (SELECT avg(x) AS mu, var_pop(x) AS v, count(*) AS n FROM d2), "
        "k AS (SELECT count(*) AS ng, avg(x) AS mg FROM d2 GROUP BY g) "
        "SELECT sum(k.ng * (k.mg - t.mu) ^ 2) / (any_value(t.n) * any_value(t.v)) FROM k, t "
        "WHERE t.v > 0"
    )
    row = con.execute(sql).fetchone()
    value = row[0] if row else None
    return float(min(1.0, max(0.0, value)) ** 0.5) if value is not None else 0.0


def is_numeric(con: Any, view: str, column: str) -> bool:
    """Whether ``column`` of ``view`` has a numeric DuckDB type (BOOLEAN is not numeric)."""
    row = con.execute(f"DESCRIBE SELECT {quote(column)} FROM {quote(view)}").fetchone()
    kind = str(row[1]).upper() if row else ""
    return kind.startswith(_NUMERIC)


def binned(con: Any, view: str, feature: str, sensitive: str, bins: int = BINS) -> str:
    """SQL of ``(x, s)`` rows: the feature's bin (numeric) or value, and the group, as text.

    A bin is the number of distinct cut points (the feature's ``1/bins .. (bins-1)/bins``
    quantiles) below the value, so bins hold about equal numbers of rows and ties stay
    together.
    """
    x, s, v = quote(feature), quote(sensitive), quote(view)
    keep = f"{x} IS NOT NULL AND {s} IS NOT NULL"
    if not is_numeric(con, view, feature):
        return f"SELECT CAST({x} AS VARCHAR) AS x, CAST({s} AS VARCHAR) AS s FROM {v} WHERE {keep}"
    points = ", ".join(str(i / bins) for i in range(1, bins))
    return (
        f"WITH d AS (SELECT CAST({x} AS DOUBLE) AS x, CAST({s} AS VARCHAR) AS s FROM {v} "
        f"WHERE {keep} AND NOT isnan(CAST({x} AS DOUBLE))), "
        f"c AS (SELECT list_distinct(quantile_disc(x, [{points}])) AS cuts FROM d) "
        "SELECT CAST(len(list_filter(c.cuts, lambda q: q < d.x)) AS VARCHAR) AS x, d.s FROM d, c"
    )


def mutual_information(
    con: Any, view: str, feature: str, sensitive: str, bins: int = BINS
) -> tuple[float, float]:
    """``(MI in nats, normalised MI in [0, 1])`` of the binned feature and the sensitive column.

    Computed in DuckDB from the joint and marginal counts (see the module docstring).
    """
    sql = (
        f"WITH d AS ({binned(con, view, feature, sensitive, bins)}), "
        "j AS (SELECT x, s, count(*) AS n FROM d GROUP BY x, s), "
        "t AS (SELECT sum(n) AS n FROM j), "
        "px AS (SELECT x, sum(n) AS n FROM j GROUP BY x), "
        "ps AS (SELECT s, sum(n) AS n FROM j GROUP BY s), "
        "mi AS (SELECT sum(j.n / t.n * ln(j.n * t.n / (px.n * ps.n))) AS v "
        "FROM j JOIN px USING (x) JOIN ps USING (s), t), "
        "hx AS (SELECT -sum(px.n / t.n * ln(px.n / t.n)) AS v FROM px, t), "
        "hs AS (SELECT -sum(ps.n / t.n * ln(ps.n / t.n)) AS v FROM ps, t) "
        "SELECT mi.v, hx.v, hs.v FROM mi, hx, hs"
    )
    row = con.execute(sql).fetchone()
    if not row or row[0] is None:
        return 0.0, 0.0
    mi, hx, hs = (max(0.0, float(v or 0.0)) for v in row)
    if hx <= 0 or hs <= 0:
        return mi, 0.0
    return mi, min(1.0, mi / ((hx + hs) / 2))


#: Decimals an association is rounded to: DuckDB sums in parallel, in no fixed order, so the
#: last bits of a double can differ from run to run; rounded, the same logs give the same value
#: (and the same report, byte for byte).
DECIMALS = 12


def association(con: Any, view: str, feature: str, sensitive: str, measure: str) -> float:
    """The association in [0, 1] by ``measure`` (one of :data:`MEASURES`), to 12 decimals."""
    if measure == "mutual_information":
        value = mutual_information(con, view, feature, sensitive)[1]
    else:
        value = correlation_ratio(con, view, feature, sensitive)
    return round(value, DECIMALS)
