"""Free-text groups: each example shows a different sentence."""

from __future__ import annotations

from zhili.participation.surveys.textgroups import group_texts


def test_examples_of_a_group_do_not_repeat_the_same_sentence():
    texts = ["停车位太少了"] * 5 + ["停车位太少了！", "停车位太少了吧", "停车位太少了吧", "停车位太少了啊"]
    [group] = group_texts(texts)
    assert group.size == len(texts)
    assert group.label == "停车位太少了"
    # the same sentence (punctuation aside) is neither repeated nor the label again
    assert group.examples == ["停车位太少了吧", "停车位太少了啊"]


def test_a_group_of_one_sentence_written_many_times_has_no_examples():
    [group] = group_texts(["路灯坏了"] * 4)
    assert group.size == 4 and group.label == "路灯坏了" and group.examples == []


def test_examples_are_capped():
    texts = [f"希望小区增加停车位{i}号楼" for i in range(8)]
    groups = group_texts(texts, examples=3)
    assert all(len(set(g.examples)) == len(g.examples) <= 3 for g in groups)
    assert all(g.label not in g.examples for g in groups)
