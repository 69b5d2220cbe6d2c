-- One row per finding in the user's dispute register (contracts folder,
-- disputes.csv): what was disputed, what the vendor accepted, rejected and paid
-- back, what is still open and for how long (docs/interfaces.md "Dispute
-- register"). Amounts are in the finding's invoice currency.
--   disputed  = amount_disputed, else the finding's amount_at_risk
--   accepted  = amount_accepted, else (accepted) disputed / (recovered) recovered;
--               0 while open or sent and when rejected
--   rejected  = disputed when rejected; disputed - accepted once answered
--   open      = disputed while open or sent; accepted - recovered while
--               accepted; 0 once rejected or recovered (closed)
--   age_days  = sent_on to resolved_on when closed, else to as_of; null until sent
-- as_of is var dispute_as_of (YYYY-MM-DD), default the build's date in UTC.
-- A register entry whose finding is not in marts.unforeseen_costs keeps its row
-- (finding_found false, amounts from the register alone); the test
-- dispute_finding_not_found (severity warn) names it.
{% set as_of = var('dispute_as_of', none) %}

with register as (
    select * from {{ ref('stg_disputes') }}
),

findings as (
    select vendor_id, invoice_id, line_id, finding, period_month, currency, amount_at_risk
    from {{ ref('unforeseen_costs') }}
),

joined as (
    select
        r.*,
        f.period_month,
        f.currency,
        f.amount_at_risk,
        f.finding is not null as finding_found,
        coalesce(r.amount_disputed, f.amount_at_risk) as disputed,
        {% if as_of %}cast('{{ as_of }}' as date){% else %}cast({{ utc_to_local('now()', "'UTC'") }} as date){% endif %}
            as as_of
    from register as r
    left join findings as f
        on f.vendor_id = r.vendor_id
        and f.invoice_id = r.invoice_id
        and f.line_id = r.line_id
        and f.finding = r.finding
),

amounts as (
    select
        *,
        case status
            when 'accepted' then coalesce(amount_accepted, disputed)
            when 'recovered' then coalesce(amount_accepted, amount_recovered)
            else 0
        end as accepted,
        coalesce(amount_recovered, 0) as recovered,
        status in ('rejected', 'recovered') as is_closed
    from joined
),

ages as (
    select
        *,
        {{ dbt.datediff('sent_on', 'case when is_closed then resolved_on else as_of end', 'day') }} as age_days,
        case
            when status in ('open', 'sent') then disputed
            when status = 'accepted' then accepted - recovered
            else 0
        end as open_amount
    from amounts
)

select
    a.vendor_id,
    c.vendor_name,
    a.invoice_id,
    a.line_id,
    a.finding,
    a.period_month,
    a.currency,
    a.finding_found,
    cast(a.amount_at_risk as decimal(18,4)) as amount_at_risk,
    a.status,
    a.is_closed,
    a.sent_on,
    a.resolved_on,
    cast(a.disputed as decimal(18,4)) as amount_disputed,
    cast(a.accepted as decimal(18,4)) as amount_accepted,
    cast(a.recovered as decimal(18,4)) as amount_recovered,
    cast(case
        when a.status = 'rejected' then a.disputed
        when a.status in ('accepted', 'recovered') then a.disputed - a.accepted
        else 0
    end as decimal(18,4)) as amount_rejected,
    cast(a.open_amount as decimal(18,4)) as open_amount,
    a.as_of,
    a.age_days,
    case
        when a.status = 'open' then 'not sent'
        when a.is_closed or a.open_amount = 0 then 'closed'
        when a.age_days <= 30 then '0-30'
        when a.age_days <= 60 then '31-60'
        when a.age_days <= 90 then '61-90'
        else 'over 90'
    end as ageing_bucket,
    a.reference,
    a.note,
    a.register_line
from ages as a
left join {{ ref('stg_contracts') }} as c
    on c.vendor_id = a.vendor_id
