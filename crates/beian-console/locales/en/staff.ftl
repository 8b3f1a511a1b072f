# Staff accounts: the list, disable and enable, create.
staff-title = Staff accounts
staff-lead = The accounts of reviewers, supervisors and the administration. A disabled account cannot log in, and its sessions end at once. Applicants register themselves and are not listed here.
staff-name = Name
staff-role = Role
staff-state = State
staff-actions = Actions
staff-active = active
staff-disabled = disabled
staff-disable = Disable
staff-enable = Enable
staff-you = you
staff-new = New staff account
staff-password = Initial password
staff-password-hint = At least 10 characters; ask the person to change it after logging in.
staff-email = E-mail
staff-create = Create the account
staff-done = Account { $login } updated.
