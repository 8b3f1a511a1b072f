# The audit trail: every staff action and every staff read of an application or a document.
audit-title = Audit trail
audit-lead = Every action of the staff (reviewers, supervisors, the administration), and every time they opened an application or a document: who, what, when, from where, and how it ended. Newest first.
audit-login = Login
audit-action = Action
audit-order = Order
audit-when = When
audit-target = Target
audit-from = From
audit-status = Result (HTTP status)
audit-empty = No entry matches.
audit-older = Older entries
audit-role-reviewer = reviewer
audit-role-supervisor = supervisor
audit-role-administration = administration
