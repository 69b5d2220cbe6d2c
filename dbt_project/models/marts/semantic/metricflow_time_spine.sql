-- One row per calendar day: MetricFlow's time spine (models/marts/semantic/_time_spine.yml).
-- It is only read by metric queries that fill gaps or join to time; kept under marts so the
-- published copy BI reads has it. Covers 2000 (the oldest timestamp the feeds accept) to 2050.
select cast(range as date) as date_day
from range(date '2000-01-01', date '2051-01-01', interval 1 day)
