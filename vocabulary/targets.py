"""What district targets measure (metrics) and how a target counts (kind), each with one label."""

from __future__ import annotations

from vocabulary.ladder import CERTIFICATE_LABELS, TIER_LABELS, CertificateKind, Tier


def _metric_labels() -> dict[str, str]:
    labels = {"hte_total": f"{CERTIFICATE_LABELS[CertificateKind.hte]}（有效证书）"}
    for tier in Tier:
        name = TIER_LABELS[tier]
        labels |= {f"{tier}_new": f"{name}新入库", f"{tier}_cumulative": f"{name}累计入库",
                   f"{tier}_total": f"{name}在库"}  # fmt: skip
    # Named in planning documents, not measured from the registry.
    return labels | {"rd_intensity": "研发投入强度", "invention_patents": "发明专利拥有量",
                     "contract_turnover_yuan": "技术合同成交额（元）"}  # fmt: skip


# How pages and exported lists name each target's metric and kind.
TARGET_METRIC_LABELS = _metric_labels()
TARGET_KIND_LABELS: dict[str, str] = {"stock": "存量", "flow": "当年新增", "cumulative": "累计"}
