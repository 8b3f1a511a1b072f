-- The supervisors' dashboard reads the last 30 days of history (review durations, throughput).
CREATE INDEX history_by_at ON history (at);
-- Orders by province and state (the dashboard's counts) from the index alone.
CREATE INDEX orders_by_province_state ON orders (province, state);
