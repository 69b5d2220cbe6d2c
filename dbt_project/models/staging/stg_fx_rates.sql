-- Latest load wins for a repeated (rate_date, currency).
select
    f.rate_date,
    upper(f.currency) as currency,
    f.rate_to_reporting
from {{ source('raw', 'fx_rates') }} as f
join {{ source('raw', 'load_manifest') }} as m on m.load_id = f._load_id
qualify row_number() over (
    partition by f.rate_date, upper(f.currency) order by m.processed_at desc, f._row_number desc
) = 1
