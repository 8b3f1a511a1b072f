# 工作人员账号：列表、停用与启用、新建。
staff-title = 工作人员账号
staff-lead = 审核员、主管和管局的账号。停用的账号不能登录，已登录的会话立即失效。申请人自行注册，不在这里。
staff-name = 姓名
staff-role = 角色
staff-state = 状态
staff-actions = 操作
staff-active = 正常
staff-disabled = 已停用
staff-disable = 停用
staff-enable = 启用
staff-you = 当前账号
staff-new = 新建工作人员账号
staff-password = 初始密码
staff-password-hint = 至少 10 个字符；请告知本人登录后修改。
staff-email = 电子邮箱
staff-create = 创建账号
staff-done = 已更新账号 { $login }。
