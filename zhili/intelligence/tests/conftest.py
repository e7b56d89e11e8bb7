from __future__ import annotations

import pytest

from zhili.intelligence import classify


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    """Model ids repeat across tests (rolled-back transactions): never reuse a cached model."""
    classify._cache.clear()
    yield
    classify._cache.clear()
