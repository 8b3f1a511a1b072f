-- Orders by province and state (the dashboard's counts) from the index alone.
CREATE INDEX orders_by_province_state ON orders (province, state);
