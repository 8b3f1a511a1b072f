-- Indexes for the per-request reads (found by profiling the lifecycle load: both were full scans).
-- An order's history, read with every order view.
CREATE INDEX history_by_subject ON history (subject, id);
-- The credentials with an order in progress, read with every check.
CREATE INDEX orders_in_progress_credentials ON orders (in_progress, credential);
