-- One row per calendar day: MetricFlow's time spine (models/marts/semantic/_time_spine.yml).
-- It is only read by metric queries that fill gaps or join to time; kept under marts so the
-- published copy BI reads has it. Covers 2000 (the oldest timestamp the feeds accept) to 2050.
{{ day_series('2000-01-01', '2051-01-01', 'date_day') }}
