-- The `raw` schema: the one place ingestion writes. Everything downstream (dbt)
-- reads it and can be rebuilt from it at any time.
-- Every feed table carries load metadata: _load_id (-> raw.load_manifest.load_id),
-- _row_number (1-based row in the source file) and _loaded_at.
-- Money is DECIMAL(18,4); FX rates DECIMAL(18,8); timestamps TIMESTAMPTZ (UTC instants); customer keys
-- (*_hash) BLOB: the first 16 bytes of a salted sha256 (ingestion/pii.py; warehouses from before, which
-- held 64-character hex text, are converted when opened: ingestion/warehouse.py).

CREATE SCHEMA IF NOT EXISTS raw;

CREATE TABLE IF NOT EXISTS raw.load_manifest (
    load_id        VARCHAR PRIMARY KEY,      -- uuid4 hex
    file_path      VARCHAR NOT NULL,         -- path as landed (absolute)
    file_name      VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    vendor_id      VARCHAR,                  -- from the landing folder
    feed           VARCHAR,                  -- from the landing folder
    rows           BIGINT,                   -- rows loaded (0 when quarantined)
    status         VARCHAR NOT NULL,         -- 'loaded' | 'quarantined'
    reason         VARCHAR,                  -- why quarantined (human readable)
    warnings       VARCHAR,                  -- schema drift etc. (loaded anyway)
    file_mtime     TIMESTAMPTZ,              -- arrival order
    processed_at   TIMESTAMPTZ NOT NULL,
    mapping_version VARCHAR                  -- vendor mapping used: '<vendor>/<feed>.yaml sha256:...' (null: canonical file)
);
-- warehouses created before vendor mappings existed
ALTER TABLE raw.load_manifest ADD COLUMN IF NOT EXISTS mapping_version VARCHAR;

CREATE TABLE IF NOT EXISTS raw.interactions (
    vendor_id            VARCHAR NOT NULL,
    interaction_id       VARCHAR NOT NULL,
    channel              VARCHAR NOT NULL,   -- voice | chat | email
    queue                VARCHAR NOT NULL,
    language             VARCHAR,
    arrived_at           TIMESTAMPTZ NOT NULL,
    answered_at          TIMESTAMPTZ,
    ended_at             TIMESTAMPTZ NOT NULL,
    talk_seconds         INTEGER,
    hold_seconds         INTEGER,
    wrap_seconds         INTEGER,
    agent_id             VARCHAR,
    transferred          BOOLEAN,
    resolved             BOOLEAN,
    customer_ref_hash    BLOB,               -- customer key of customer_ref (ingestion/pii.py)
    customer_phone_hash  BLOB,               -- customer key of the phone; clear text never stored
    customer_email_hash  BLOB,               -- customer key of the email (trimmed, case kept)
    complaint            BOOLEAN,
    updated_at           TIMESTAMPTZ,
    _load_id             VARCHAR NOT NULL,
    _row_number          BIGINT NOT NULL,
    _loaded_at           TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.surveys (
    vendor_id               VARCHAR NOT NULL,
    survey_id               VARCHAR NOT NULL,
    interaction_id          VARCHAR NOT NULL,
    responded_at            TIMESTAMPTZ,
    csat                    INTEGER,          -- 1..5
    nps                     INTEGER,          -- 0..10
    resolved_self_reported  BOOLEAN,
    has_comment             BOOLEAN,          -- the comment itself is PII and never stored
    _load_id                VARCHAR NOT NULL,
    _row_number             BIGINT NOT NULL,
    _loaded_at              TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.agent_surveys (
    vendor_id     VARCHAR NOT NULL,
    response_id   VARCHAR NOT NULL,
    agent_id      VARCHAR,
    site          VARCHAR,
    responded_at  TIMESTAMPTZ,
    esat          INTEGER,                    -- 1..5
    enps          INTEGER,                    -- 0..10
    _load_id      VARCHAR NOT NULL,
    _row_number   BIGINT NOT NULL,
    _loaded_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.invoice_lines (
    vendor_id      VARCHAR NOT NULL,
    invoice_id     VARCHAR NOT NULL,
    revision       INTEGER NOT NULL,
    invoice_date   DATE,
    period_start   DATE NOT NULL,
    period_end     DATE NOT NULL,
    currency       VARCHAR NOT NULL,
    line_id        VARCHAR NOT NULL,
    category       VARCHAR NOT NULL,
    channel        VARCHAR,
    description    VARCHAR,
    quantity       DECIMAL(18,4),
    unit           VARCHAR,
    unit_price     DECIMAL(18,4),
    amount         DECIMAL(18,4) NOT NULL,
    tax_amount     DECIMAL(18,4) NOT NULL,
    approval_ref   VARCHAR,
    _load_id       VARCHAR NOT NULL,
    _row_number    BIGINT NOT NULL,
    _loaded_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.fx_rates (
    rate_date          DATE NOT NULL,
    currency           VARCHAR NOT NULL,
    rate_to_reporting  DECIMAL(18,8) NOT NULL,
    _load_id           VARCHAR NOT NULL,
    _row_number        BIGINT NOT NULL,
    _loaded_at         TIMESTAMPTZ NOT NULL
);

-- Worked time: one row per agent state interval; a repeated record_id in a later file is an update
-- (staging keeps the latest load). `state` is the vendor's own name, classified by the contract's
-- worked_time.states (a file with a state the contract does not list is quarantined).
CREATE TABLE IF NOT EXISTS raw.agent_time (
    vendor_id     VARCHAR NOT NULL,
    record_id     VARCHAR NOT NULL,
    agent_id      VARCHAR NOT NULL,
    site          VARCHAR,
    state         VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ NOT NULL,       -- > started_at
    _load_id      VARCHAR NOT NULL,
    _row_number   BIGINT NOT NULL,
    _loaded_at    TIMESTAMPTZ NOT NULL
);

-- Self-service (IVR, bot, web) sessions; a repeated session_id in a later file is an update.
CREATE TABLE IF NOT EXISTS raw.self_service (
    vendor_id          VARCHAR NOT NULL,
    session_id         VARCHAR NOT NULL,
    channel            VARCHAR NOT NULL,      -- ivr | bot | web
    started_at         TIMESTAMPTZ NOT NULL,
    ended_at           TIMESTAMPTZ NOT NULL,  -- >= started_at
    intent             VARCHAR,
    outcome            VARCHAR NOT NULL,      -- contained | transferred | abandoned
    interaction_id     VARCHAR,               -- the interaction it was transferred to
    customer_ref_hash  BLOB,                  -- customer key of customer_ref, as in raw.interactions
    _load_id           VARCHAR NOT NULL,
    _row_number        BIGINT NOT NULL,
    _loaded_at         TIMESTAMPTZ NOT NULL
);

-- Quality evaluations of contacts; a repeated evaluation_id in a later file is an update.
CREATE TABLE IF NOT EXISTS raw.qa_evaluations (
    vendor_id       VARCHAR NOT NULL,
    evaluation_id   VARCHAR NOT NULL,
    interaction_id  VARCHAR,                  -- may refer to an interaction that arrives later
    agent_id        VARCHAR NOT NULL,
    evaluated_at    TIMESTAMPTZ NOT NULL,
    evaluator_side  VARCHAR NOT NULL,         -- vendor | client
    form            VARCHAR,
    score           DECIMAL(18,4) NOT NULL,   -- 0 <= score <= max_score
    max_score       DECIMAL(18,4) NOT NULL,   -- > 0
    auto_fail       BOOLEAN NOT NULL,         -- empty in the file = false
    calibration     BOOLEAN NOT NULL,         -- empty in the file = false
    _load_id        VARCHAR NOT NULL,
    _row_number     BIGINT NOT NULL,
    _loaded_at      TIMESTAMPTZ NOT NULL
);

-- Contracts: replaced whole (one transaction) from contracts/*.yaml at the start of every run.
CREATE TABLE IF NOT EXISTS raw.contracts (
    vendor_id     VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,           -- outsourcer | in_house
    timezone      VARCHAR NOT NULL,           -- IANA name
    currency      VARCHAR NOT NULL,
    source_file   VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.contract_versions (
    vendor_id                   VARCHAR NOT NULL,
    version_id                  VARCHAR NOT NULL,   -- '<vendor_id>@<effective_from>'
    effective_from              DATE NOT NULL,
    effective_to                DATE,               -- inclusive; null = open-ended
    minimum_monthly_commitment  DECIMAL(18,4),
    monthly_cost_base           DECIMAL(18,4),      -- in-house teams: monthly cost, contract currency
    service_credit_cap_pct      DECIMAL(9,6),
    tolerance_quantity_pct      DECIMAL(9,6) NOT NULL,
    tolerance_amount_abs        DECIMAL(18,4) NOT NULL,
    fte_hours_per_month         DECIMAL(18,4)       -- worked_time.fte_hours_per_month; null = not given
);
-- warehouses created before worked time existed
ALTER TABLE raw.contract_versions ADD COLUMN IF NOT EXISTS fte_hours_per_month DECIMAL(18,4);

-- worked_time.states of each contract version: the vendor's state name -> its class.
-- A version without a worked_time section has no rows here.
CREATE TABLE IF NOT EXISTS raw.contract_worked_time_states (
    vendor_id   VARCHAR NOT NULL,
    version_id  VARCHAR NOT NULL,
    state       VARCHAR NOT NULL,            -- exactly as agent_time.state carries it
    work_class  VARCHAR NOT NULL             -- productive | training | paid_other | unpaid
);

CREATE TABLE IF NOT EXISTS raw.contract_pricing (
    vendor_id          VARCHAR NOT NULL,
    version_id         VARCHAR NOT NULL,
    pricing_line       INTEGER NOT NULL,     -- 1-based position in the YAML list
    category           VARCHAR NOT NULL,
    channel            VARCHAR,              -- null = all channels / channel-less
    unit               VARCHAR,
    rate               DECIMAL(18,4),        -- flat rate; null when tiered or pass-through
    is_tiered          BOOLEAN NOT NULL,
    passthrough        BOOLEAN NOT NULL,
    monthly_cap        DECIMAL(18,4),        -- pass-through cap per month, contract currency
    requires_approval  BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS raw.contract_pricing_tiers (
    vendor_id     VARCHAR NOT NULL,
    version_id    VARCHAR NOT NULL,
    pricing_line  INTEGER NOT NULL,
    tier_number   INTEGER NOT NULL,          -- 1-based, ascending
    lower_bound   DECIMAL(18,4) NOT NULL,    -- previous tier's up_to (0 for the first)
    up_to         DECIMAL(18,4),             -- null = unbounded
    rate          DECIMAL(18,4) NOT NULL,
    basis         VARCHAR NOT NULL           -- marginal | whole
);

CREATE TABLE IF NOT EXISTS raw.contract_sla (
    vendor_id              VARCHAR NOT NULL,
    version_id             VARCHAR NOT NULL,
    sla_line               INTEGER NOT NULL, -- 1-based position in the YAML list
    metric                 VARCHAR NOT NULL,
    channel                VARCHAR,          -- null = all channels
    queue                  VARCHAR,          -- null = all queues
    target                 DECIMAL(18,6) NOT NULL,
    threshold_seconds      INTEGER,
    short_abandon_seconds  INTEGER,          -- as written; resolution rule lives in dbt
    abandons               VARCHAR,          -- exclude_short | exclude_all | count_against | count_for_within
    repeat_window_days     INTEGER,
    credit_pct             DECIMAL(9,6) NOT NULL,
    evaluator_side         VARCHAR           -- QA metrics: vendor | client; null = both
);
ALTER TABLE raw.contract_sla ADD COLUMN IF NOT EXISTS evaluator_side VARCHAR;

-- The dispute register (<contracts>/disputes.csv, optional; ingestion/disputes.py): replaced whole with
-- the contracts, in their transaction. One row per finding sent to (or to be sent to) a vendor.
CREATE TABLE IF NOT EXISTS raw.disputes (
    register_line     INTEGER NOT NULL,       -- the row's line in the file
    vendor_id         VARCHAR NOT NULL,
    invoice_id        VARCHAR NOT NULL,
    line_id           VARCHAR NOT NULL,
    finding           VARCHAR NOT NULL,       -- with the three above: the key of marts.unforeseen_costs
    status            VARCHAR NOT NULL,       -- open | sent | accepted | rejected | recovered
    sent_on           DATE,
    resolved_on       DATE,
    amount_disputed   DECIMAL(18,4),          -- null = the finding's amount_at_risk
    amount_accepted   DECIMAL(18,4),
    amount_recovered  DECIMAL(18,4),
    reference         VARCHAR,
    note              VARCHAR,
    source_file       VARCHAR NOT NULL,
    sha256            VARCHAR NOT NULL
);
