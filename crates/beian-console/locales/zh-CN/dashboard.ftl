# 运营看板：订单状态、超时、各环节用时、每日数量、各省份。
dashboard-title = 运营看板
dashboard-orders = 个订单
dashboard-breached-provider = 个服务商审核超时
dashboard-breached-administration = 个管局审核超时
dashboard-by-state = 各状态订单数
dashboard-durations = 近 30 天各环节用时（小时）
dashboard-durations-hint = 深色为中位数，浅色为 90% 分位数；只统计近 30 天内离开该环节的订单。
dashboard-count = 订单数
dashboard-median = 中位数
dashboard-p90 = 90% 分位
dashboard-per-day = 每日提交与通过
dashboard-per-day-hint = { $first } 至 { $last }，最高 { $max } 单/天（北京时间）。
dashboard-submitted = 提交
dashboard-approved = 通过
dashboard-by-province = 各省份
dashboard-in-progress = 办理中
dashboard-all = 全部
