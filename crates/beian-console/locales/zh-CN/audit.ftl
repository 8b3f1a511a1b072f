# 审计日志：员工的每项操作和对申请、资料的每次查看。
audit-title = 审计日志
audit-lead = 员工（审核员、主管、管局）的每项操作，以及对备案申请和资料的每次查看：谁、做了什么、何时、从哪里、结果如何。最新的在前。
audit-login = 登录名
audit-action = 操作
audit-order = 订单号
audit-when = 时间
audit-target = 对象
audit-from = 来源地址
audit-status = 结果（HTTP 状态）
audit-empty = 没有符合条件的记录。
audit-older = 更早的记录
audit-role-reviewer = 审核员
audit-role-supervisor = 主管
audit-role-administration = 管局
