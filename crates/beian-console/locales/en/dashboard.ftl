# The dashboard: orders by state, breaches, step durations, per day, per province.
dashboard-title = Dashboard
dashboard-orders = orders
dashboard-breached-provider = breached in the provider's review
dashboard-breached-administration = breached in the administration's review
dashboard-by-state = Orders by state
dashboard-durations = Time in each step over the last 30 days (hours)
dashboard-durations-hint = Dark: the median; light: the 90th percentile; only orders that left the step in the last 30 days count.
dashboard-count = Orders
dashboard-median = Median
dashboard-p90 = 90th percentile
dashboard-per-day = Submitted and approved per day
dashboard-per-day-hint = { $first } to { $last }, at most { $max } a day (China Standard Time).
dashboard-submitted = submitted
dashboard-approved = approved
dashboard-by-province = By province
dashboard-in-progress = In progress
dashboard-all = All
