"""Vocabulary for plausible synthetic firm names (天津 + 字号 + 行业 + 组织形式)."""

from __future__ import annotations

BRAND_CHARS = "华海津港泰博瑞恒远信达科创智航宏德源盛兴新睿中天鑫通安联合嘉腾云普康明宇鼎正和晟昊辰凯诺威锐思维益丰卓越晶灵峰元启森蓝洋诚"
INDUSTRIES = (
    ("智能科技", "electronic_information"),
    ("电子信息", "electronic_information"),
    ("软件技术", "electronic_information"),
    ("信息技术", "electronic_information"),
    ("生物科技", "biomedicine"),
    ("医药科技", "biomedicine"),
    ("医疗器械", "biomedicine"),
    ("航空科技", "aerospace"),
    ("新材料科技", "new_materials"),
    ("材料科技", "new_materials"),
    ("检测技术", "hightech_services"),
    ("科技服务", "hightech_services"),
    ("新能源科技", "new_energy"),
    ("节能科技", "new_energy"),
    ("环保科技", "resources_environment"),
    ("环境工程", "resources_environment"),
    ("精密机械", "advanced_manufacturing"),
    ("自动化设备", "advanced_manufacturing"),
    ("智能装备", "advanced_manufacturing"),
)
LEGAL_FORMS = (("有限公司", "有限责任公司", 0.86), ("股份有限公司", "股份有限公司", 0.14))
