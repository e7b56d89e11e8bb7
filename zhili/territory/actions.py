"""Writes to the territory tree. Every write is one transaction with one audit row."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.core.errors import DomainError
from zhili.territory.models import CHILD_KIND, Node, NodeKind


def do_create_node(*, kind: NodeKind, name: str, code: str, parent: Node | None, actor: Any) -> Node:
    if parent is None and kind not in (NodeKind.DISTRICT, NodeKind.STREET):
        raise DomainError("node_needs_parent", _("Only a district or a street can be a root node."))
    if parent is not None and CHILD_KIND.get(NodeKind(parent.kind)) != kind:
        raise DomainError(
            "node_kind_mismatch",
            _("A %(kind)s cannot stand under a %(parent)s.")
            % {"kind": NodeKind(kind).label, "parent": NodeKind(parent.kind).label},
        )
    with transaction.atomic():
        node = Node.objects.create(kind=kind, name=name, code=code, parent=parent)
        node.path = f"{parent.path if parent else '/'}{node.pk}/"
        node.depth = parent.depth + 1 if parent else 0
        node.save(update_fields=["path", "depth"])
        record_audit(AuditAction.NODE_CREATED, actor=actor, target=node, node=node, details={"name": name})
    return node
