"""An alert as a CAP 1.2 XML message (OASIS Common Alerting Protocol, urn:oasis:names:tc:emergency:cap:1.2).

Element order follows the CAP 1.2 schema. CAP polygons are "lat,lon" pairs separated by spaces,
first and last pair equal; the chosen grids' current boundaries become one polygon each.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from django.utils import timezone

from zhili.emergency.models import Alert
from zhili.territory.models import GridBoundary

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
# CAP <category> accepts these; our stored values already are CAP values.
LANGUAGE = "zh-CN"


def cap_time(moment: datetime) -> str:
    """CAP dateTime: local time with its offset, no fraction of a second (2026-07-01T08:00:00+08:00)."""
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def _ring(coords: list[Any]) -> str:
    # GeoJSON is [lng, lat]; CAP is "lat,lon".
    return " ".join(f"{float(lat):.6f},{float(lng):.6f}" for lng, lat, *_rest in coords)


def _polygons(geometry: dict[str, Any]) -> list[str]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [_ring(geometry["coordinates"][0])]
    if kind == "MultiPolygon":
        return [_ring(poly[0]) for poly in geometry["coordinates"]]
    return []


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    element.text = text
    return element


def alert_xml(alert: Alert) -> bytes:
    ET.register_namespace("", CAP_NS)
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(root, "identifier", alert.identifier)
    _sub(root, "sender", alert.sender)
    _sub(root, "sent", cap_time(alert.sent or alert.updated_at or timezone.now()))
    _sub(root, "status", alert.cap_status)
    _sub(root, "msgType", alert.msg_type)
    _sub(root, "scope", alert.scope)
    # CAP requires a <restriction> for Restricted and <addresses> for Private messages.
    if alert.scope == "Restricted":
        _sub(root, "restriction", f"staff of {alert.node.code}")
    elif alert.scope == "Private":
        _sub(root, "addresses", alert.node.code)
    if alert.references:
        _sub(root, "references", alert.references)
    info = ET.SubElement(root, f"{{{CAP_NS}}}info")
    _sub(info, "language", LANGUAGE)
    _sub(info, "category", alert.category)
    _sub(info, "event", alert.event)
    _sub(info, "urgency", alert.urgency)
    _sub(info, "severity", alert.severity)
    _sub(info, "certainty", alert.certainty)
    _sub(info, "effective", cap_time(alert.effective))
    _sub(info, "expires", cap_time(alert.expires))
    _sub(info, "senderName", alert.node.name)
    _sub(info, "headline", alert.headline)
    if alert.description:
        _sub(info, "description", alert.description)
    if alert.instruction:
        _sub(info, "instruction", alert.instruction)
    area = ET.SubElement(info, f"{{{CAP_NS}}}area")
    _sub(area, "areaDesc", alert.area_desc)
    polygons: list[str] = []
    if alert.polygon:
        polygons += _polygons(alert.polygon)
    grids = list(alert.grids.all())
    for boundary in GridBoundary.objects.filter(is_current=True, grid__in=grids).order_by("grid_id"):
        polygons += _polygons(boundary.geometry)
    for ring in polygons:
        _sub(area, "polygon", ring)
    for grid in grids:
        code = ET.SubElement(area, f"{{{CAP_NS}}}geocode")
        _sub(code, "valueName", "zhili-grid")
        _sub(code, "value", grid.code)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
