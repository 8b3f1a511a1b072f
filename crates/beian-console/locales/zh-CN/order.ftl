# 申请人的备案订单：列表、状态页、资料、短信核验、通知。
order-list-title = 我的备案
order-list-new = 开始新的备案
order-list-empty = 您还没有备案订单。请先检测备案类型。
order-list-number = 备案订单

order-title = 备案订单 { $id }
order-state = 状态
order-type = 备案类型
order-expected = 预计完成日期
order-expected-estimated = { $date }（估算：该年法定节假日尚未公布）
order-subject = 主体
order-subject-number = 主体备案号
order-report-errors = 申请中还有 { $count } 个问题需要修改，修改后才能提交。
order-websites = 网站
order-website-number = 网站备案号：
order-to-filed = 我的网站与页脚代码
order-back = 返回备案订单
order-note = 说明：

order-state-draft = 草稿
order-state-provider_review = 接入商初审
order-state-verification = 核验中
order-state-ready_for_administration = 待提交管局
order-state-sms_verification = 短信核验
order-state-administration_review = 管局审核
order-state-approved = 已通过
order-state-withdrawn = 已撤销
order-state-expired = 已过期

order-help-draft = 您正在填写或修改申请。没有问题后即可提交。
order-help-provider_review = 接入商审核员正在初审您的申请（通常 1 个工作日内）。
order-help-verification = 请上传下方列出的资料；每次上传会在 1 个工作日内审核。
order-help-ready_for_administration = 核验已完成。接入商将把备案提交至通信管理局（通常 1 个工作日内）。
order-help-sms_verification = 管局已向主体负责人手机发送验证码，请在 24 小时内填写。
order-help-administration_review = 通信管理局正在审核（最长 20 个工作日）。此阶段不能修改或撤销。
order-help-approved = 已通过：备案号见下方。请在网站页面底部展示网站备案号，并链接至工信部网站。
order-help-withdrawn = 您已撤销此备案。准备好后可重新申请。
order-help-expired = 此备案自首次提交起 45 天内未获通过，已过期。请重新申请。

order-type-initial = 首次备案
order-type-add_website = 新增网站
order-type-add_website_elsewhere = 新增网站（主体在其他接入商）
order-type-transfer = 接入备案
order-type-change_subject = 变更主体
order-type-change_website = 变更网站
order-type-change_access = 变更接入
order-type-cancel_subject = 注销主体
order-type-cancel_website = 注销网站
order-type-cancel_access = 取消接入

order-action-edit = 修改申请
order-action-delete = 删除草稿
order-action-submit = 提交审核
order-action-withdraw = 撤销备案
order-action-sms = 填写短信验证码

order-actor-you = 您
order-actor-applicant = 申请人
order-actor-provider = 接入商审核员
order-actor-administration = 管局
order-actor-system = 系统

order-did-edit = 修改了申请
order-did-delete = 删除了草稿
order-did-submit = 提交了备案
order-did-withdraw = 撤销了备案
order-did-provider_pass = 初审通过
order-did-provider_reject = 驳回了备案
order-did-complete_verification = 完成了核验
order-did-submit_to_administration = 将备案提交至管局
order-did-sms_verified = 确认短信核验通过
order-did-sms_failed = 短信核验失败（错误次数过多）
order-did-sms_timeout = 结束了短信核验（已超过 24 小时）
order-did-administration_approve = 审核通过并分配备案号
order-did-administration_reject = 驳回了备案
order-did-expire = 关闭了备案（已超过 45 天）
order-did-other = 记录了一个步骤

order-timeline = 办理记录
order-times-china = 时间均为北京时间（UTC+8）。

order-documents = 资料
order-doc-lead = 请逐项上传下列资料。重新上传会替换之前的文件。
order-doc-later = 这些资料在接入商初审通过后上传。
order-doc-not-yours = 这些资料由申请人上传。
order-doc-missing = 未上传
order-doc-pending = 待审核
order-doc-accepted = 已通过
order-doc-rejected = 未通过，请重新上传
order-doc-what-to-do = 处理办法：
order-doc-choose = 选择文件
order-doc-replace = 选择新文件替换
order-doc-hint = 清晰的照片或扫描件：JPG、PNG 或 GIF，不超过 { $mb } MB。系统按内容检查文件，并去除其中的元数据（如拍摄位置）后保存。
order-doc-uploading = 正在上传…
order-doc-upload = 上传
order-doc-statements-needed = 接入商还需要您邮寄三份签字的真实性核验单原件。
order-doc-statements-received = 真实性核验单原件已收到。

order-withdraw-title = 撤销备案
order-withdraw-question = 确定撤销备案订单 { $id } 吗？
order-withdraw-consequence = 撤销后备案流程结束且无法恢复；如需备案，请重新申请。
order-withdraw-confirm = 确定撤销
order-delete-title = 删除草稿
order-delete-question = 确定删除草稿 { $id } 吗？
order-delete-consequence = 草稿及其中填写的内容将被删除。
order-delete-confirm = 确定删除
order-confirm-cancel = 不，返回

order-sms-title = 短信核验
order-sms-lead = 通信管理局已向主体负责人手机发送六位验证码：
order-sms-window = 请在收到短信后 24 小时内填写。错误三次或超过 24 小时，接入商将重新提交，并重新发送验证码。
order-sms-code = 验证码
order-sms-code-hint = 短信中的六位数字。
order-sms-submit = 提交验证
order-sms-none = 此备案当前无需短信核验。
order-sms-wrong = 验证码不正确，还可尝试 { $left } 次。
order-sms-failed = 错误次数过多，短信核验失败。接入商将重新提交，并重新发送验证码。
order-sms-timed-out = 已超过 24 小时。接入商将重新提交，并重新发送验证码。
order-sms-not-pending = 此备案已不在等待短信核验。

order-notifications = 通知
order-notes-none = 暂无新消息。此列表会自动更新。
order-notes-stale = 此备案的状态已更新。
order-notes-reload = 刷新页面查看。
order-event-state = 状态变更：{ $from } → { $to }。
order-event-document-accepted = 一份资料已通过审核。
order-event-document-rejected = 一份资料未通过审核：原因见资料部分。
order-event-backdrop = 拍照用幕布已寄出。
order-event-sla = 一个审核步骤已超过时限。
order-event-other = 备案已更新。
order-rejected-fields = 审核驳回指出了以下字段，请修改后重新提交：
