from __future__ import annotations

# The case tests' category tree and their switch that keeps the classifier quiet.
from zhili.cases.tests.conftest import _no_classifier_opinion, cats  # noqa: F401
