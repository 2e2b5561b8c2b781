"""The annual report's render-context defaults: title, period, preamble, 六, signature."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docgen.engine import formatting

#: The statute every preamble cites.
STATUTE = "《中华人民共和国政府信息公开条例》"


def gov_info_annual_defaults(report: Mapping[str, Any]) -> dict[str, Any]:
    """Fill in the annual report's computed defaults: title, period, preamble, 六, signature."""
    context = dict(report)
    agency, year = context["agency"], context["year"]
    if not context.get("title"):
        context["title"] = f"{agency}{year}年政府信息公开工作年度报告"
    period = dict(context.get("period") or {})
    period["start"] = period.get("start") or f"{year}-01-01"
    period["end"] = period.get("end") or f"{year}-12-31"
    context["period"] = period
    if not context.get("preamble"):
        context["preamble"] = default_preamble(context)
    if context.get("other_matters") is None:
        context["other_matters"] = "无。" if context.get("processing_fee") is None else ""
    signature = context.get("signature")
    if signature is not None:
        context["signature"] = {
            "agency": signature.get("agency") or agency,
            "date": signature.get("date") or context["published"],
        }
    return context


def default_preamble(report: Mapping[str, Any]) -> str:
    """Return the standard opening paragraph(s) written from agency, year, period and contact."""
    agency, period = report["agency"], report["period"]
    span = formatting.date_range(period["start"], period["end"])
    lines = [
        f"本报告根据{STATUTE}（以下简称《条例》）和国务院办公厅政府信息与政务公开办公室关于"
        f"政府信息公开工作年度报告的有关要求编制，由{agency}负责编写。报告全文由总体情况、"
        "主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
        f"存在的主要问题及改进情况、其他需要报告的事项等部分组成。本报告所列数据的统计期限为{span}。"
    ]
    contact = report.get("contact") or {}
    if contact.get("website"):
        lines.append(f"本报告电子版可在{contact['website']}下载。")
    parts = [
        f"{label}：{contact[key]}"
        for key, label in (("address", "地址"), ("postcode", "邮编"), ("phone", "电话"),
                           ("email", "电子邮箱"))
        if contact.get(key)
    ]
    if parts:
        lines.append(f"如对本报告有任何疑问，请与{agency}联系（{'；'.join(parts)}）。")
    return "".join(lines)
