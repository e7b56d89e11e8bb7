"""The classifier's activation verdict: stored as a code, shown in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from zhili.intelligence.decisions import decision_code, decision_label


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("activated: macro-F1 0.9874", "已启用：宏平均F1 0.9874"),
        ("activated: macro-F1 0.9874 ≥ 0.9812 of m3", "已启用：宏平均F1 0.9874 ≥ m3 的 0.9812"),
        ("kept m3: macro-F1 0.9501 < 0.9612", "未启用，保留 m3：宏平均F1 0.9501 < 0.9612"),
        # Anything else was not written by the retraining: shown as it is stored.
        ("set by hand", "set by hand"),
        ("", ""),
    ],
)
def test_stored_verdicts_are_shown_in_chinese(stored, shown):
    with translation.override("zh-hans"):
        assert decision_label(stored) == shown


def test_english_readers_get_english():
    with translation.override("en"):
        assert (
            decision_label("kept m3: macro-F1 0.9501 < 0.9612")
            == "Not activated, m3 kept: macro-F1 0.9501 < 0.9612"
        )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"activated": True, "macro_f1": 0.98741},
        {"activated": True, "macro_f1": 0.98741, "previous": "m3", "previous_f1": 0.9812},
        {"activated": False, "macro_f1": 0.95012, "previous": "m12", "previous_f1": 0.96},
    ],
)
def test_every_code_the_retraining_writes_is_understood(kwargs):
    code = decision_code(**kwargs)
    with translation.override("zh-hans"):
        shown = decision_label(code)
    assert shown != code and f"{kwargs['macro_f1']:.4f}" in shown
    assert kwargs.get("previous", "") in shown


def test_a_version_that_is_kept_names_the_active_one():
    with pytest.raises(ValueError):
        decision_code(activated=False, macro_f1=0.9)
