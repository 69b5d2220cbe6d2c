-- Each agent's site, from the agent's latest agent-survey response that names
-- one (agent surveys are the only feed carrying the site). Used to line up
-- customer surveys (via the surveyed interaction's agent_id) with the site's
-- ESAT in marts.esat_csat.
select
    vendor_id,
    agent_id,
    {{ arg_max_of('site', 'responded_at') }} as site,
    max(responded_at) as site_seen_at
from {{ ref('int_agent_survey_responses') }}
where agent_id is not null and site is not null
group by vendor_id, agent_id
