"""The dispute register: `<contracts folder>/disputes.csv`, finance's own record of the invoice findings
sent to vendors and what came back (accepted, rejected, recovered), validated with line-numbered errors
and stored in `raw.disputes` together with the contracts (same transaction, `ingestion.loader.sync_contracts`).

The file is optional: no register, no disputes. Each row names one finding the way `marts.unforeseen_costs`
keys it (vendor_id, invoice_id, line_id, finding). A row whose finding the warehouse does not hold (a typo,
or a finding a later invoice revision removed) is not an error here (findings are only known after the
build): it is kept, flagged `finding_found = false` in `marts.dispute_status`, and a warn-severity dbt test
names it, so its money is never silently dropped.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from ingestion.contracts import ContractError
from ingestion.yaml_models import StrictModel, validation_errors

REGISTER_NAME = "disputes.csv"
# open: logged, not sent yet; sent: with the vendor, no answer; accepted: the vendor agreed to credit
# (amount_accepted, default the disputed amount), money not all received; rejected: refused, closed;
# recovered: closed with money received (amount_recovered; less than accepted = the rest written off).
STATUSES = ("open", "sent", "accepted", "rejected", "recovered")
CLOSED = ("rejected", "recovered")
REQUIRED = ("vendor_id", "invoice_id", "line_id", "finding", "status")
COLUMNS = (*REQUIRED, "sent_on", "resolved_on", "amount_disputed", "amount_accepted", "amount_recovered",
           "reference", "note")
KEY = ("vendor_id", "invoice_id", "line_id", "finding")
MONEY = Field(default=None, ge=0, max_digits=18, decimal_places=4)  # raw.disputes stores DECIMAL(18,4)


class DisputeError(ContractError):
    """The register is invalid; one line per problem: file, line, column, what is wrong. A ContractError:
    the run refuses it at start like a bad contract (exit 2, one line per problem)."""


class DisputeEntry(StrictModel):
    vendor_id: str = Field(min_length=1)
    invoice_id: str = Field(min_length=1)
    line_id: str = Field(min_length=1)
    finding: str = Field(min_length=1)
    status: Literal[STATUSES]  # type: ignore[valid-type]
    sent_on: date | None = None
    resolved_on: date | None = None
    amount_disputed: Decimal | None = MONEY
    amount_accepted: Decimal | None = MONEY
    amount_recovered: Decimal | None = MONEY
    reference: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DisputeEntry:
        s = self.status
        if s == "open" and self.sent_on is not None:
            raise ValueError("sent_on: an `open` entry is not sent yet (status `sent` once it is)")
        if s != "open" and self.sent_on is None:
            raise ValueError(f"sent_on: required for status {s!r} (the date it was sent to the vendor)")
        if s in ("open", "sent") and self.resolved_on is not None:
            raise ValueError(f"resolved_on: must be empty while the status is {s!r}")
        if s in ("accepted", *CLOSED) and self.resolved_on is None:
            raise ValueError(f"resolved_on: required for status {s!r} (the date of the vendor's answer)")
        if self.sent_on and self.resolved_on and self.resolved_on < self.sent_on:
            raise ValueError(f"resolved_on: {self.resolved_on} is before sent_on {self.sent_on}")
        if s not in ("accepted", "recovered"):
            for name in ("amount_accepted", "amount_recovered"):
                if getattr(self, name):
                    raise ValueError(f"{name}: must be empty or 0 for status {s!r}")
        if s == "recovered" and not self.amount_recovered:
            raise ValueError("amount_recovered: required and above 0 for status 'recovered' "
                             "(nothing recovered: status `rejected`)")
        if self.amount_disputed is not None and self.amount_disputed == 0:
            raise ValueError("amount_disputed: must be above 0 (or empty: the finding's amount at risk)")
        limit = ("amount_disputed", self.amount_disputed)
        if self.amount_accepted is not None and self.amount_disputed is not None \
                and self.amount_accepted > self.amount_disputed:
            raise ValueError(f"amount_accepted: {self.amount_accepted} exceeds amount_disputed {self.amount_disputed}")
        if self.amount_accepted is not None:
            limit = ("amount_accepted", self.amount_accepted)
        if self.amount_recovered is not None and limit[1] is not None and self.amount_recovered > limit[1]:
            raise ValueError(f"amount_recovered: {self.amount_recovered} exceeds {limit[0]} {limit[1]}")
        latest = datetime.now(timezone.utc).date() + timedelta(days=1)  # a user east of UTC may be a day ahead
        for name in ("sent_on", "resolved_on"):
            value = getattr(self, name)
            if value is not None and value > latest:
                raise ValueError(f"{name}: {value} is in the future")
        return self


def _message(err: dict[str, Any], loc: tuple[Any, ...], msg: str) -> str:
    field = str(loc[0]) if loc else ""
    if err["type"] == "literal_error":
        return f"status: unknown status {err['input']!r}; expected one of {', '.join(STATUSES)}"
    if field in ("sent_on", "resolved_on"):
        return f"{field}: {err['input']!r} is not a date (write YYYY-MM-DD)"
    if field.startswith("amount_"):
        if err["type"] in ("decimal_parsing", "decimal_type"):
            return f"{field}: {err['input']!r} is not an amount (digits and a decimal point, e.g. 1234.50)"
        return f"{field}: {msg}"
    if field in REQUIRED and err["type"] in ("missing", "string_too_short"):
        return f"{field}: required"
    return f"{field}: {msg}" if field else msg  # the model's own checks name their column


def read_register(path: Path, vendors: set[str] | None = None) -> list[tuple[int, DisputeEntry]]:
    """(line number, entry) of each row of the register; DisputeError with every problem otherwise.

    `vendors`: the vendor ids with a contract; an entry of another vendor is an error (a typo there would
    hide the entry from every vendor's figures)."""
    name = str(path)  # as the contract errors name their file
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet's UTF-8 export starts with a BOM
    except UnicodeDecodeError as exc:
        raise DisputeError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as CSV UTF-8") from None
    reader = csv.reader(text.splitlines(keepends=True))
    header = [h.strip() for h in next(reader, [])]
    problems: list[str] = []
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    twice = sorted({h for h in header if header.count(h) > 1})
    if not header:
        return []  # an empty file: no disputes
    if len(header) == 1 and ";" in header[0]:  # a spreadsheet in a locale whose list separator is ";"
        raise DisputeError(f"{name}, line 1: cells are separated by ';': save the register as CSV with commas "
                           f"(the columns are {', '.join(COLUMNS)})")
    if unknown or missing or twice:
        parts = ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []) \
            + ([f"missing column(s) {', '.join(missing)}"] if missing else []) \
            + ([f"column(s) given twice {', '.join(twice)}"] if twice else [])
        raise DisputeError(f"{name}, line 1: {'; '.join(parts)} (the columns are {', '.join(COLUMNS)})")
    entries: list[tuple[int, DisputeEntry]] = []
    first: dict[tuple[str, ...], int] = {}
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num  # a quoted cell may span lines: report the row's first
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(f"{name}, line {start}: {len(row)} cells but {len(header)} columns")
            continue
        data = {h: (cell.strip() or None) for h, cell in zip(header, row)}
        try:
            entry = DisputeEntry.model_validate({k: v for k, v in data.items() if v is not None})
        except ValidationError as exc:
            problems.extend(f"{name}, line {start}: {_message(err, loc, msg)}"
                            for err, loc, msg in validation_errors(exc))
            continue
        if vendors is not None and entry.vendor_id not in vendors:
            problems.append(f"{name}, line {start}: vendor_id: {entry.vendor_id!r} has no contract "
                            f"(known: {', '.join(sorted(vendors))})")
            continue
        key = tuple(getattr(entry, k) for k in KEY)
        if key in first:
            problems.append(f"{name}, line {start}: finding {'/'.join(key)} is already on line {first[key]}: "
                            "one entry per finding (update that row)")
            continue
        first[key] = start
        entries.append((start, entry))
    if problems:
        raise DisputeError("\n".join(problems))
    return entries


def load_register(contracts_dir: Path, vendors: set[str] | None = None) -> list[tuple[int, DisputeEntry]]:
    """The register beside the contracts, or no entries when there is none."""
    path = contracts_dir / REGISTER_NAME
    return read_register(path, vendors) if path.is_file() else []


def register_rows(contracts_dir: Path, entries: list[tuple[int, DisputeEntry]]) -> list[dict[str, Any]]:
    """Rows for raw.disputes; each carries the file's sha256, so a changed register is a changed input."""
    path = contracts_dir / REGISTER_NAME
    if not entries:
        return []
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return [dict(register_line=line, **entry.model_dump(), source_file=REGISTER_NAME, sha256=sha)
            for line, entry in entries]
