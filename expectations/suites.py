"""One Great Expectations suite per canonical feed, built from `ingestion.feeds`.

The suites are derived in two steps so they can be inspected without paying
the ~4 s `import great_expectations`:

1. `rules_for(feed)` turns the feed declaration (plus a few feed-specific
   rules listed in `EXTRA_CHECKS`) into plain `Rule` objects: which GX
   expectation, on which columns, with which arguments, and the plain-English
   problem it reports.
2. `build_suite(feed)` turns those rules into a `gx.ExpectationSuite`
   (imports GX lazily). Each expectation carries `meta={"rule": rule_id}` so
   the runner can map a GX result back to its rule.

What is checked, per feed (see docs/interfaces.md, "Canonical feeds"):

* generic, from the `Column` declarations: required columns exist;
  non-nullable columns are not null; `allowed` enums (nulls allowed when the
  column is nullable); `min_value` / `max_value`; `unique_key` unique within
  the file (compound keys with `ExpectCompoundColumnsToBeUnique`);
  `ordered_pairs` a >= b and `strict_pairs` a > b (agent_time: ended_at >
  started_at, so a zero-length interval fails), ignoring rows where either
  side is null;
* `vendor_id` (vendor-scoped feeds) equals the vendor folder the file landed
  in, given at validation time through the suite parameter
  `expected_vendor_ids`. A null vendor_id claims no vendor and is not a
  failure (the loader stamps the folder's vendor);
* plausible time: every timestamp column lies in
  [2000-01-01, validation time + 1 day]; every date column in
  [2000-01-01, validation date + 366 days] (invoices may bill a period ahead,
  so dates get a year of head-room; the bound only catches typos like 2206);
* feed-specific rules (`EXTRA_CHECKS`):
  - interactions: an unanswered contact (answered_at null) carries no handle
    time, i.e. answered_at must be present whenever talk, hold or wrap
    seconds is > 0. Zeros on unanswered rows are tolerated (some ACDs export
    0 instead of null); durations >= 0 come from the declarations;
  - invoices: one invoice per file (invoice_id, revision, currency,
    period_start, period_end each single-valued); currency is three
    upper-case letters; amount has the same sign as quantity x unit_price
    where both are non-null and non-zero (amount 0 is tolerated; an amount
    merely off by some cents or units is the `arithmetic_error` finding of
    the marts, not a validation failure); `service_credit` lines have
    amount <= 0; tax_amount >= 0;
  - fx_rates: currency is three upper-case letters; rate_to_reporting > 0
    (strict, see `STRICT_MIN`).
  - agent_time, self_service, qa_evaluations need no named check: their
    rules all come from the declarations (qa: 0 <= score <= max_score is
    `min_value` 0 plus the pair max_score >= score; max_score > 0 is
    `STRICT_MIN`). Whether an agent_time state is in the contract is checked
    by the loader, before validation (it needs the contract).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from compat.gx import import_great_expectations
from ingestion.feeds import CURRENCY_PATTERN, FEEDS, Feed, stored_name

if TYPE_CHECKING:  # pragma: no cover
    import great_expectations as gx

# --- suite parameters (values supplied per validation by the runner) ---------
PARAM_VENDOR = "expected_vendor_ids"  # [vendor folder]
PARAM_LATEST_TIMESTAMP = "latest_plausible_timestamp"  # now + 1 day (UTC)
PARAM_LATEST_DATE = "latest_plausible_date"  # today + 366 days

EARLIEST_TIMESTAMP = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
EARLIEST_DATE = dt.date(2000, 1, 1)
TIMESTAMP_HEADROOM = dt.timedelta(days=1)
DATE_HEADROOM = dt.timedelta(days=366)

CURRENCY_REGEX = CURRENCY_PATTERN.pattern

# Columns whose declared min_value is exclusive (value must be > min).
STRICT_MIN: dict[str, frozenset[str]] = {"fx_rates": frozenset({"rate_to_reporting"}),
                                         "qa_evaluations": frozenset({"max_score"})}

# A neutral row condition in disjunctive normal form: OR over AND-groups of
# (column, operator, value) with operator in == != < <= > >= is_null not_null.
Atom = tuple[str, str, Any]
When = tuple[tuple[Atom, ...], ...]


@dataclass(frozen=True)
class Rule:
    """One check of a feed suite, independent of GX objects."""

    rule_id: str  # stable id, unique within the feed suite
    expectation: str  # GX expectation class name, e.g. "ExpectColumnValuesToNotBeNull"
    kwargs: dict[str, Any]  # GX kwargs; {"$PARAMETER": name} for runtime values
    # plain English, completed by the runner with "in N of M rows"; may hold
    # {vendor_id} (the expected vendor) or, for aggregate rules, {n} (observed)
    problem: str
    columns: tuple[str, ...]  # columns shown in example rows (besides _row_number)
    column: str | None = None  # the main column (None for multi-column rules)
    when: When | None = None  # row condition: the rule only applies to these rows
    aggregate: bool = False  # a whole-file rule (no per-row unexpected count)

    @property
    def expectation_type(self) -> str:
        """snake_case GX expectation type, e.g. expect_column_values_to_not_be_null."""
        out = []
        for ch in self.expectation:
            if ch.isupper() and out:
                out.append("_")
            out.append(ch.lower())
        return "".join(out)

    def condition_text(self) -> str | None:
        if not self.when:
            return None
        texts = [" and ".join(_atom_text(a) for a in group) for group in self.when]
        if len(texts) == 1:
            return texts[0]
        return " or ".join(f"({t})" if len(g) > 1 else t for t, g in zip(texts, self.when))


def _atom_text(atom: Atom) -> str:
    col, op, value = atom
    if op == "is_null":
        return f"{col} is empty"
    if op == "not_null":
        return f"{col} is present"
    return f"{col} {op} {value!r}" if isinstance(value, str) else f"{col} {op} {value}"


def _fmt_bound(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- generic rules from the declarations -------------------------------------


def _pair_problem(feed: Feed, a: str, b: str, strict: bool) -> str:
    """"ended_at is before started_at" (times) / "score is above max_score" (numbers); strict pairs
    also fail on equal values, so they say "not after" / "not greater than"."""
    in_time = feed.column(a).type in ("timestamp", "date")
    if strict:
        return f"{a} is not after {b}" if in_time else f"{a} is not greater than {b}"
    return f"{a} is before {b}" if in_time else f"{b} is above {a}"


# plausible range by column type: earliest value, the parameter holding the latest, the message's upper bound
_PLAUSIBLE = {
    "timestamp": (EARLIEST_TIMESTAMP, PARAM_LATEST_TIMESTAMP, "more than 1 day in the future"),
    "date": (EARLIEST_DATE, PARAM_LATEST_DATE, "more than a year in the future"),
}


def _generic_rules(feed: Feed) -> list[Rule]:
    rules: list[Rule] = []
    for c in feed.columns:
        name = stored_name(c)
        if name is None:
            continue
        if c.required:
            rules.append(
                Rule(
                    f"exists:{name}",
                    "ExpectColumnToExist",
                    {"column": name},
                    f"required column {name} is missing",
                    (),
                    column=name,
                    aggregate=True,
                )
            )
        if not c.nullable:
            rules.append(
                Rule(
                    f"not_null:{name}",
                    "ExpectColumnValuesToNotBeNull",
                    {"column": name},
                    f"{name} is empty",
                    (name,),
                    column=name,
                )
            )
        if c.allowed is not None:
            rules.append(
                Rule(
                    f"in_set:{name}",
                    "ExpectColumnValuesToBeInSet",
                    {"column": name, "value_set": list(c.allowed)},
                    f"{name} is not one of {', '.join(c.allowed)}",
                    (name,),
                    column=name,
                )
            )
        if c.min_value is not None or c.max_value is not None:
            strict_min = name in STRICT_MIN.get(feed.name, frozenset())
            kwargs: dict[str, Any] = {"column": name}
            if c.min_value is not None:
                kwargs["min_value"] = c.min_value
                if strict_min:
                    kwargs["strict_min"] = True
            if c.max_value is not None:
                kwargs["max_value"] = c.max_value
            if c.min_value is not None and c.max_value is not None:
                problem = f"{name} is outside {_fmt_bound(c.min_value)}..{_fmt_bound(c.max_value)}"
            elif c.min_value is not None:
                op = "not greater than" if strict_min else "below"
                problem = f"{name} is {op} {_fmt_bound(c.min_value)}"
            else:
                problem = f"{name} is above {_fmt_bound(c.max_value)}"
            rules.append(
                Rule(f"range:{name}", "ExpectColumnValuesToBeBetween", kwargs, problem, (name,), column=name)
            )
        if c.type in _PLAUSIBLE:
            earliest, latest, beyond = _PLAUSIBLE[c.type]
            rules.append(Rule(
                f"plausible:{name}", "ExpectColumnValuesToBeBetween",
                {"column": name, "min_value": earliest, "max_value": {"$PARAMETER": latest}},
                f"{name} is implausible (before 2000-01-01 or {beyond})", (name,), column=name))

    key = feed.unique_key
    if len(key) == 1:
        rules.append(
            Rule(
                f"unique:{key[0]}",
                "ExpectColumnValuesToBeUnique",
                {"column": key[0]},
                f"{key[0]} is not unique within the file (rows sharing a value)",
                key,
                column=key[0],
            )
        )
    elif key:
        rules.append(
            Rule(
                f"unique:{'+'.join(key)}",
                "ExpectCompoundColumnsToBeUnique",
                {"column_list": list(key)},
                f"({', '.join(key)}) is not unique within the file (rows sharing a key)",
                key,
            )
        )

    pairs = [(a, b, False) for a, b in feed.ordered_pairs] + [(a, b, True) for a, b in feed.strict_pairs]
    for a, b, strict in pairs:
        rules.append(
            Rule(
                f"order:{a}>{b}" if strict else f"order:{a}>={b}",
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": a, "column_B": b, "or_equal": not strict, "ignore_row_if": "either_value_is_missing"},
                _pair_problem(feed, a, b, strict),
                (a, b),
            )
        )

    if feed.vendor_scoped:
        rules.append(
            Rule(
                "vendor:vendor_id",
                "ExpectColumnValuesToBeInSet",
                {"column": "vendor_id", "value_set": {"$PARAMETER": PARAM_VENDOR}},
                "vendor_id is not {vendor_id}, the vendor folder the file landed in,",
                ("vendor_id",),
                column="vendor_id",
            )
        )
    return rules


# --- feed-specific rules -------------------------------------------------------


def _unanswered_without_handle_time(feed: Feed) -> list[Rule]:
    durations = ("talk_seconds", "hold_seconds", "wrap_seconds")
    when: When = tuple(((d, ">", 0),) for d in durations)
    return [
        Rule(
            "answered:answered_at",
            "ExpectColumnValuesToNotBeNull",
            {"column": "answered_at"},
            "answered_at is empty although talk, hold or wrap seconds is positive",
            ("answered_at", *durations),
            column="answered_at",
            when=when,
        )
    ]


def _single_valued(*columns: str) -> Callable[[Feed], list[Rule]]:
    def build(feed: Feed) -> list[Rule]:
        return [
            Rule(
                f"single_value:{c}",
                "ExpectColumnUniqueValueCountToBeBetween",
                {"column": c, "min_value": None, "max_value": 1},
                f"{c} has {{n}} different values in the file (a file holds exactly one invoice revision)",
                (c,),
                column=c,
                aggregate=True,
            )
            for c in columns
        ]

    return build


def _currency_code(feed: Feed) -> list[Rule]:
    return [
        Rule(
            "currency_code:currency",
            "ExpectColumnValuesToMatchRegex",
            {"column": "currency", "regex": CURRENCY_REGEX},
            "currency is not three upper-case letters (ISO 4217)",
            ("currency",),
            column="currency",
        )
    ]


def _amount_sign(feed: Feed) -> list[Rule]:
    cols = ("amount", "quantity", "unit_price")
    positive: When = (
        (("quantity", ">", 0), ("unit_price", ">", 0)),
        (("quantity", "<", 0), ("unit_price", "<", 0)),
    )
    negative: When = (
        (("quantity", ">", 0), ("unit_price", "<", 0)),
        (("quantity", "<", 0), ("unit_price", ">", 0)),
    )
    return [
        Rule(
            "amount_sign:positive",
            "ExpectColumnValuesToBeBetween",
            {"column": "amount", "min_value": 0},
            "amount is negative although quantity × unit_price is positive",
            cols,
            column="amount",
            when=positive,
        ),
        Rule(
            "amount_sign:negative",
            "ExpectColumnValuesToBeBetween",
            {"column": "amount", "max_value": 0},
            "amount is positive although quantity × unit_price is negative",
            cols,
            column="amount",
            when=negative,
        ),
    ]


def _service_credit_negative(feed: Feed) -> list[Rule]:
    return [
        Rule(
            "service_credit:amount",
            "ExpectColumnValuesToBeBetween",
            {"column": "amount", "max_value": 0},
            "amount is positive on a service_credit line (credits are negative)",
            ("category", "amount"),
            column="amount",
            when=((("category", "==", "service_credit"),),),
        )
    ]


def _tax_not_negative(feed: Feed) -> list[Rule]:
    return [
        Rule(
            "tax:tax_amount",
            "ExpectColumnValuesToBeBetween",
            {"column": "tax_amount", "min_value": 0},
            "tax_amount is negative",
            ("tax_amount",),
            column="tax_amount",
        )
    ]


# Named feed-specific checks. `Feed.extra_checks` may name them; when a feed
# declares none, DEFAULT_EXTRA_CHECKS applies.
CHECKS: dict[str, Callable[[Feed], list[Rule]]] = {
    "unanswered_without_handle_time": _unanswered_without_handle_time,
    "one_invoice_per_file": _single_valued("invoice_id", "revision", "currency", "period_start", "period_end"),
    "currency_code": _currency_code,
    "amount_sign": _amount_sign,
    "service_credit_negative": _service_credit_negative,
    "tax_not_negative": _tax_not_negative,
}

DEFAULT_EXTRA_CHECKS: dict[str, tuple[str, ...]] = {
    "interactions": ("unanswered_without_handle_time",),
    "invoices": (
        "one_invoice_per_file",
        "currency_code",
        "amount_sign",
        "service_credit_negative",
        "tax_not_negative",
    ),
    "fx_rates": ("currency_code",),
}


def extra_checks_for(feed: Feed) -> tuple[str, ...]:
    return tuple(feed.extra_checks) or DEFAULT_EXTRA_CHECKS.get(feed.name, ())


def _feed(feed: str | Feed) -> Feed:
    if isinstance(feed, Feed):
        return feed
    try:
        return FEEDS[feed]
    except KeyError:
        raise ValueError(f"unknown feed {feed!r}; expected one of {', '.join(FEEDS)}") from None


def rules_for(feed: str | Feed) -> list[Rule]:
    """The checks of one feed's suite, as plain data (no GX import)."""
    f = _feed(feed)
    rules = _generic_rules(f)
    for name in extra_checks_for(f):
        try:
            rules.extend(CHECKS[name](f))
        except KeyError:
            raise ValueError(f"feed {f.name!r} names unknown extra check {name!r}") from None
    ids = [r.rule_id for r in rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:  # pragma: no cover - a programming error in this module
        raise AssertionError(f"duplicate rule ids in {f.name}: {sorted(dupes)}")
    return rules


def suite_parameters(feed: str | Feed, vendor_id: str | None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Runtime values for the `$PARAMETER` placeholders of a feed's suite."""
    f = _feed(feed)
    now = now or dt.datetime.now(dt.timezone.utc)
    params: dict[str, Any] = {
        PARAM_LATEST_TIMESTAMP: now + TIMESTAMP_HEADROOM,
        PARAM_LATEST_DATE: now.date() + DATE_HEADROOM,
    }
    if f.vendor_scoped:
        params[PARAM_VENDOR] = [vendor_id]
    return params


# --- GX objects (lazy import) ------------------------------------------------


def _gx_condition(when: When):
    import_great_expectations()
    from great_expectations.expectations.row_conditions import AndCondition, Column, OrCondition

    def atom(a: Atom):
        col, op, value = a
        c = Column(col)
        if op == "is_null":
            return c.is_null()
        if op == "not_null":
            return c.is_not_null()
        return {
            "==": c.__eq__,
            "!=": c.__ne__,
            "<": c.__lt__,
            "<=": c.__le__,
            ">": c.__gt__,
            ">=": c.__ge__,
        }[op](value)

    groups = []
    for group in when:
        atoms = [atom(a) for a in group]
        groups.append(atoms[0] if len(atoms) == 1 else AndCondition(conditions=atoms))
    return groups[0] if len(groups) == 1 else OrCondition(conditions=groups)


def to_expectation(rule: Rule):
    """The GX expectation for one rule (meta carries the rule id)."""
    gx = import_great_expectations()

    cls = getattr(gx.expectations, rule.expectation)
    kwargs = dict(rule.kwargs)
    if rule.when:
        kwargs["row_condition"] = _gx_condition(rule.when)
    return cls(**kwargs, meta={"rule": rule.rule_id})


def build_suite(feed: str | Feed) -> gx.ExpectationSuite:
    """A fresh (unsaved) ExpectationSuite named `bpo.<feed>` for one feed."""
    gx = import_great_expectations()

    f = _feed(feed)
    # Expectations passed to the constructor: needs no active data context
    # (suite.add_expectation would try to save to one).
    return gx.ExpectationSuite(name=f"bpo.{f.name}", expectations=[to_expectation(r) for r in rules_for(f)])
