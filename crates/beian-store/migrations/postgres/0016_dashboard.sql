-- The supervisors' dashboard reads the last 30 days of history (review durations, throughput).
CREATE INDEX history_by_at ON history (at);
