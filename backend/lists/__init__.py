"""Exported lists (公示名单, 入库名单, 拨付清单, 评价结果, 目标进度, 提醒): built from the registry, recorded as export runs."""
