"""Vendor contracts: YAML → validated pydantic model → raw.contract_* tables.

A contract file that does not validate raises ContractError naming the file,
the line, the field and the problem, so the person who edited the YAML can
fix it without reading Python.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from ingestion.feeds import (CHANNELS, CURRENCY_PATTERN, EVALUATOR_SIDES, INVOICE_UNITS, SELF_SERVICE_CHANNELS,
                             VENDOR_ID_PATTERN)
from ingestion.yaml_models import (StrictModel, check_timezone, field_path, line_of, validation_errors,
                                   yaml_problem)

Channel = Literal[CHANNELS]  # type: ignore[valid-type]  # same values as the feeds
SelfServiceChannel = Literal[SELF_SERVICE_CHANNELS]  # type: ignore[valid-type]
EvaluatorSide = Literal[EVALUATOR_SIDES]  # type: ignore[valid-type]
Metric = Literal[
    "service_level",
    "asa_seconds",
    "aht_seconds",
    "abandon_rate",
    "transfer_rate",
    "complaint_rate",
    "csat_top2box",
    "nps",
    "esat_top2box",
    "enps",
    "fcr_rate",
    "qa_score",
    "qa_auto_fail_rate",
    "qa_calibration_gap",
    "containment_rate",
]
# The QA metrics one evaluator side may be asked for (qa_calibration_gap compares the two sides: none).
QA_METRICS_BY_SIDE = ("qa_score", "qa_auto_fail_rate")
WORK_CLASSES = ("productive", "training", "paid_other", "unpaid")  # paid = the first three
WorkClass = Literal[WORK_CLASSES]  # type: ignore[valid-type]
# Categories priced per self-service session: their channel (if any) is ivr, bot or web.
SELF_SERVICE_CATEGORIES = ("contained_sessions",)
AbandonTreatment = Literal["exclude_short", "exclude_all", "count_against", "count_for_within"]



class Tier(StrictModel):
    up_to: Decimal | None = Field(default=None, gt=0)
    rate: Decimal = Field(ge=0)
    basis: Literal["marginal", "whole"] = "marginal"


class PricingItem(StrictModel):
    category: str = Field(min_length=1)
    channel: Channel | SelfServiceChannel | None = None
    unit: Literal[INVOICE_UNITS] | None = None  # type: ignore[valid-type]
    rate: Decimal | None = Field(default=None, ge=0)
    tiers: list[Tier] | None = None
    passthrough: bool = False
    monthly_cap: Decimal | None = Field(default=None, ge=0)
    requires_approval: bool = False

    @model_validator(mode="after")
    def _one_price(self) -> PricingItem:
        self_service = self.category in SELF_SERVICE_CATEGORIES
        if self.channel in SELF_SERVICE_CHANNELS and not self_service:
            raise ValueError(f"channel {self.channel!r} is a self-service channel: only "
                             f"{', '.join(SELF_SERVICE_CATEGORIES)} is priced per self-service channel")
        if self_service and self.channel in CHANNELS:
            raise ValueError(f"{self.category} is priced per self-service channel (ivr, bot or web), "
                             f"not {self.channel!r}")
        if self.passthrough:
            if self.rate is not None or self.tiers:
                raise ValueError("a pass-through category is billed at cost: give no rate or tiers")
            return self
        if (self.rate is None) == (not self.tiers):
            raise ValueError("give exactly one of `rate` or `tiers` (or mark it `passthrough: true`)")
        if self.monthly_cap is not None or self.requires_approval:
            raise ValueError("`monthly_cap` and `requires_approval` apply to pass-through categories only")
        if self.tiers:
            bounds = [t.up_to for t in self.tiers]
            if bounds[-1] is not None:
                raise ValueError("the last tier must be open-ended (`up_to: null`)")
            if any(b is None for b in bounds[:-1]):
                raise ValueError("only the last tier may have `up_to: null`")
            if any(a >= b for a, b in zip(bounds[:-2], bounds[1:-1])):
                raise ValueError("tier `up_to` values must increase")
        return self


class SlaLine(StrictModel):
    metric: Metric
    channel: Channel | SelfServiceChannel | None = None
    queue: str | None = None
    target: Decimal
    threshold_seconds: int | None = Field(default=None, ge=0)
    short_abandon_seconds: int | None = Field(default=None, ge=0)
    abandons: AbandonTreatment | None = None
    repeat_window_days: int | None = Field(default=None, ge=1)
    credit_pct: Decimal = Field(default=Decimal(0), ge=0, le=1)
    evaluator_side: EvaluatorSide | None = None  # QA metrics: whose evaluations count; None = both

    @model_validator(mode="after")
    def _service_level_needs_threshold(self) -> SlaLine:
        if self.metric == "service_level" and self.threshold_seconds is None:
            raise ValueError("a service_level SLA needs `threshold_seconds`")
        if self.metric == "containment_rate" and self.channel in CHANNELS:
            raise ValueError(f"containment_rate is measured on self-service sessions: its channel is ivr, bot "
                             f"or web (or none), not {self.channel!r}")
        if self.metric != "containment_rate" and self.channel in SELF_SERVICE_CHANNELS:
            raise ValueError(f"channel {self.channel!r} is a self-service channel: only containment_rate "
                             "is measured on one")
        if self.evaluator_side is not None and self.metric not in QA_METRICS_BY_SIDE:
            raise ValueError(f"`evaluator_side` applies to {' and '.join(QA_METRICS_BY_SIDE)} only"
                             + (" (the calibration gap compares both sides)"
                                if self.metric == "qa_calibration_gap" else ""))
        return self


class Tolerance(StrictModel):
    quantity_pct: Decimal = Field(default=Decimal("0.02"), ge=0)
    amount_abs: Decimal = Field(default=Decimal("1.00"), ge=0)


NOT_A_NAME = "is read by YAML as a boolean or a number, not a name: quote it (e.g. 'off': unpaid)"


class WorkedTime(StrictModel):
    """How agent_time counts against hour- and FTE-priced lines."""

    states: dict[str, WorkClass] = Field(min_length=1)  # the vendor's state name -> class
    fte_hours_per_month: Decimal | None = Field(default=None, gt=0)  # paid hours in one fte_month

    @field_validator("states", mode="before")
    @classmethod
    def _state_names_are_text(cls, v: Any) -> Any:
        # YAML 1.1 reads an unquoted `on`, `off`, `yes`, `no` or a number as a boolean / number, not a name
        if isinstance(v, dict):
            for key in v:
                if not isinstance(key, str):
                    raise ValueError(f"state {key!r} {NOT_A_NAME}")
                if not key.strip() or key != key.strip():
                    raise ValueError(f"state {key!r}: a state name has no surrounding spaces and is not empty")
        return v


class ContractVersion(StrictModel):
    effective_from: date
    effective_to: date | None = None  # inclusive; null = open-ended
    pricing: list[PricingItem] = Field(default_factory=list)
    minimum_monthly_commitment: Decimal | None = Field(default=None, ge=0)
    monthly_cost_base: Decimal | None = Field(default=None, ge=0)
    sla: list[SlaLine] = Field(default_factory=list)
    service_credit_cap_pct: Decimal | None = Field(default=None, ge=0, le=1)
    tolerance: Tolerance = Field(default_factory=Tolerance)
    worked_time: WorkedTime | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> ContractVersion:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError("`effective_to` is before `effective_from`")
        seen: set[tuple[str, str | None]] = set()
        for item in self.pricing:
            key = (item.category, item.channel)
            if key in seen:
                raise ValueError(f"category {item.category!r} channel {item.channel!r} is priced twice")
            seen.add(key)
        if (self.worked_time is not None and self.worked_time.fte_hours_per_month is None
                and any(p.category == "fte_months" for p in self.pricing)):
            raise ValueError("this version prices fte_months: give `worked_time.fte_hours_per_month` "
                             "(the paid hours of one fte_month), or its FTE lines cannot be checked")
        return self


class Contract(StrictModel):
    vendor_id: str
    name: str = Field(min_length=1)
    kind: Literal["outsourcer", "in_house"]
    timezone: str
    currency: str
    versions: list[ContractVersion] = Field(min_length=1)

    @field_validator("vendor_id")
    @classmethod
    def _vendor_id_format(cls, v: str) -> str:
        if not VENDOR_ID_PATTERN.match(v):
            raise ValueError("vendor_id must be lowercase letters, digits and underscores")
        return v

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        return check_timezone(v, "America/Monterrey")

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, v: str) -> str:
        if not CURRENCY_PATTERN.match(v):
            raise ValueError("currency must be an ISO 4217 code such as MXN")
        return v

    @model_validator(mode="after")
    def _versions_do_not_overlap_or_gap(self) -> Contract:
        versions = sorted(self.versions, key=lambda v: v.effective_from)
        for earlier, later in zip(versions, versions[1:]):
            if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                raise ValueError(
                    f"versions overlap: the version from {earlier.effective_from} runs to "
                    f"{earlier.effective_to or 'open end'}, but the next starts {later.effective_from}"
                )
            if (later.effective_from - earlier.effective_to).days != 1:
                raise ValueError(
                    f"gap between versions: {earlier.effective_to} to {later.effective_from} is covered by none"
                )
        if self.kind == "in_house" and any(v.monthly_cost_base is None for v in self.versions):
            raise ValueError("an in-house contract needs `monthly_cost_base` in every version")
        return self

    def version_id(self, version: ContractVersion) -> str:
        return f"{self.vendor_id}@{version.effective_from.isoformat()}"


class ContractError(ValueError):
    """A contract file is invalid; the message names file, line, field and problem."""


def _unconstructible_scalar(path: Path, root: yaml.Node | None) -> str:
    """The one-line error for the first scalar that YAML cannot construct (an impossible date)."""
    loader = yaml.SafeLoader("")
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, loc = stack.pop(0)
        if isinstance(node, yaml.MappingNode):
            stack[:0] = [(value, (*loc, key.value)) for key, value in node.value]
        elif isinstance(node, yaml.SequenceNode):
            stack[:0] = [(item, (*loc, n)) for n, item in enumerate(node.value)]
        else:
            try:
                loader.construct_object(node, deep=True)
            except ValueError as exc:
                return (f"{path}, line {node.start_mark.line + 1}: {field_path(loc)}: "
                        f"{node.value!r} is not a valid date ({exc})")
    return f"{path}: a value cannot be read (not a valid date?)"


def _key_problems(path: Path, root: yaml.Node | None) -> list[str]:
    """One error per key given twice in a mapping, and per worked_time state YAML does not read as text.

    PyYAML keeps the last of duplicate keys without a word, so a state listed twice with two classes would
    silently take the second; and `off: unpaid` is the key False. Both are found on the composed nodes,
    which know each key's line."""
    errors: list[str] = []
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())] if root is not None else []
    while stack:
        node, loc = stack.pop(0)
        if isinstance(node, yaml.MappingNode):
            first: dict[str, yaml.Node] = {}
            states = loc[-2:] == ("worked_time", "states")
            for key, _value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                    continue
                where = field_path(loc)
                if states and key.tag != "tag:yaml.org,2002:str":  # `off:` is False, `1:` is 1
                    errors.append(f"{path}, line {key.start_mark.line + 1}: {where}: state {key.value!r} {NOT_A_NAME}")
                if key.value in first:
                    what = f"state {key.value!r} is listed twice" if states else f"key {key.value!r} is given twice"
                    errors.append(f"{path}, line {key.start_mark.line + 1}: {where}: {what} "
                                  f"(first on line {first[key.value].start_mark.line + 1}); YAML would keep "
                                  "only the last one")
                else:
                    first[key.value] = key
            stack.extend((value, (*loc, key.value)) for key, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, n)) for n, item in enumerate(node.value))
    return errors


def load_contract(path: Path) -> Contract:
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ContractError(yaml_problem(path, exc)) from None
    except ValueError:  # a scalar YAML reads as a date but no such date exists (2026-02-30)
        raise ContractError(_unconstructible_scalar(path, node)) from None
    if not isinstance(data, dict):
        raise ContractError(f"{path}: a contract must be a YAML mapping (vendor_id, name, ...)")
    key_problems = _key_problems(path, node)
    try:
        contract = Contract.model_validate(data)
    except ValidationError as exc:
        lines = list(key_problems)
        for err, loc, msg in validation_errors(exc):
            if NOT_A_NAME in msg and key_problems:
                continue  # already reported on the key's own line by _key_problems
            line = line_of(node, loc)
            if err["type"] == "literal_error" and loc[-3:-1] == ("worked_time", "states"):
                msg = (f"unknown class {err['input']!r} for state {loc[-1]!r}; expected "
                       f"{', '.join(WORK_CLASSES[:-1])} or {WORK_CLASSES[-1]}")
            lines.append(f"{path}, line {line}: {field_path(loc)}: {msg}")
        raise ContractError("\n".join(lines)) from None
    if key_problems:
        raise ContractError("\n".join(key_problems))
    expected = path.name.removesuffix(".yaml").removesuffix(".yml")
    if contract.vendor_id != expected:
        raise ContractError(
            f"{path}, line {line_of(node, ('vendor_id',))}: vendor_id: {contract.vendor_id!r} "
            f"does not match the file name (expected {expected!r})"
        )
    return contract


def load_contracts(directory: Path) -> dict[str, Contract]:
    """Load every contracts/<vendor_id>.yaml; all errors of all files are reported together."""
    if not directory.is_dir():
        raise ContractError(f"contracts folder {directory} does not exist")
    contracts: dict[str, Contract] = {}
    errors: list[str] = []
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
        try:
            contracts[path.stem] = load_contract(path)
        except ContractError as exc:
            errors.append(str(exc))
    if errors:
        raise ContractError("\n".join(errors))
    return contracts


def contract_rows(contracts: dict[str, Contract], directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Flatten contracts into rows for raw.contracts, raw.contract_versions, ... ."""
    rows: dict[str, list[dict[str, Any]]] = {
        "contracts": [],
        "contract_versions": [],
        "contract_pricing": [],
        "contract_pricing_tiers": [],
        "contract_sla": [],
        "contract_worked_time_states": [],
    }
    for vendor_id, c in sorted(contracts.items()):
        path = next(p for p in (directory / f"{vendor_id}.yaml", directory / f"{vendor_id}.yml") if p.exists())
        rows["contracts"].append(
            dict(vendor_id=vendor_id, name=c.name, kind=c.kind, timezone=c.timezone, currency=c.currency,
                 source_file=str(path), sha256=hashlib.sha256(path.read_bytes()).hexdigest())
        )
        for v in c.versions:
            vid = c.version_id(v)
            rows["contract_versions"].append(
                dict(vendor_id=vendor_id, version_id=vid, effective_from=v.effective_from,
                     effective_to=v.effective_to, minimum_monthly_commitment=v.minimum_monthly_commitment,
                     monthly_cost_base=v.monthly_cost_base, service_credit_cap_pct=v.service_credit_cap_pct,
                     tolerance_quantity_pct=v.tolerance.quantity_pct, tolerance_amount_abs=v.tolerance.amount_abs,
                     fte_hours_per_month=v.worked_time.fte_hours_per_month if v.worked_time else None)
            )
            for state, work_class in (v.worked_time.states.items() if v.worked_time else ()):
                rows["contract_worked_time_states"].append(
                    dict(vendor_id=vendor_id, version_id=vid, state=state, work_class=work_class))
            for n, p in enumerate(v.pricing, start=1):
                rows["contract_pricing"].append(
                    dict(vendor_id=vendor_id, version_id=vid, pricing_line=n, category=p.category,
                         channel=p.channel, unit=p.unit, rate=p.rate, is_tiered=bool(p.tiers),
                         passthrough=p.passthrough, monthly_cap=p.monthly_cap,
                         requires_approval=p.requires_approval)
                )
                lower = Decimal(0)
                for t_n, t in enumerate(p.tiers or [], start=1):
                    rows["contract_pricing_tiers"].append(
                        dict(vendor_id=vendor_id, version_id=vid, pricing_line=n, tier_number=t_n,
                             lower_bound=lower, up_to=t.up_to, rate=t.rate, basis=t.basis)
                    )
                    lower = t.up_to if t.up_to is not None else lower
            for n, s in enumerate(v.sla, start=1):
                rows["contract_sla"].append(
                    dict(vendor_id=vendor_id, version_id=vid, sla_line=n, metric=s.metric, channel=s.channel,
                         queue=s.queue, target=s.target, threshold_seconds=s.threshold_seconds,
                         short_abandon_seconds=s.short_abandon_seconds, abandons=s.abandons,
                         repeat_window_days=s.repeat_window_days, credit_pct=s.credit_pct,
                         evaluator_side=s.evaluator_side)
                )
    return rows

