"""The territory tree's own rules (the actions are tested in test_actions)."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_nodes_list_in_tree_order_not_in_the_text_order_of_their_paths():
    from zhili.territory.models import Node, NodeKind, tree_key

    assert tree_key("/1/2/10/") > tree_key("/1/2/4/") > tree_key("/1/2/")
    for code, path in (("T-A", "/9/"), ("T-C", "/9/10/"), ("T-B", "/9/4/"), ("T-D", "/9/4/11/")):
        Node.objects.create(kind=NodeKind.GRID, name=code, code=code, path=path)
    listed = list(Node.objects.filter(code__startswith="T-").values_list("path", flat=True))
    assert listed == ["/9/", "/9/4/", "/9/4/11/", "/9/10/"]
    node = Node.objects.get(code="T-B")
    node.path = "/9/12/"
    node.save(update_fields=["path"])  # the key follows the path even when only the path is saved
    assert Node.objects.get(code="T-B").sort_key == tree_key("/9/12/")
