from __future__ import annotations

import base64

import pytest
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.core import crypto
from zhili.core.crypto import (
    CryptoError,
    MissingKeyError,
    blind_index,
    decrypt,
    encrypt,
    mask_id_number,
    mask_mobile,
    mask_name,
    mask_numbers_in_text,
)

OLD = bytes(range(32))
NEW = bytes(range(100, 132))


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_encrypt_then_decrypt_gives_the_text_back(text):
    assert decrypt(encrypt(text)) == text


def test_token_names_the_current_key_and_hides_the_text():
    token = encrypt("110105199001011234")
    assert token.startswith("t1:")
    assert "110105199001011234" not in token
    # A random nonce: the same text never gives the same token twice.
    assert encrypt("110105199001011234") != token


def _flip(token: str, position: int) -> str:
    kid, _, body = token.partition(":")
    blob = bytearray(base64.b64decode(body))
    blob[position] ^= 0x01
    return f"{kid}:{base64.b64encode(bytes(blob)).decode()}"


@pytest.mark.parametrize("position", [0, 11, 12, -1])  # nonce, first ciphertext byte, tag
def test_a_flipped_byte_is_detected(position):
    token = encrypt("13812345678")
    with pytest.raises(CryptoError, match="fails authentication"):
        decrypt(_flip(token, position))


SHORT = "t1:" + base64.b64encode(b"short").decode()


@pytest.mark.parametrize("bad", ["", "t1", "t1:", "t1:not base64!", SHORT])
def test_malformed_tokens_are_refused(bad):
    with pytest.raises(CryptoError):
        decrypt(bad)


def test_unknown_key_id_is_named_in_the_error():
    token = encrypt("x")
    moved = "gone" + token[token.index(":") :]
    with pytest.raises(MissingKeyError, match="'gone'"):
        decrypt(moved)


def test_token_cannot_be_relabelled_to_another_key():
    with override_settings(ZHILI_DATA_KEYS={"a": OLD, "b": OLD}):
        token = encrypt("13812345678")
        assert token.startswith("a:")
        # Same key bytes, different id: the key id is authenticated as associated data.
        with pytest.raises(CryptoError):
            decrypt("b" + token[1:])


def test_rotation_keeps_old_tokens_readable_and_encrypts_with_the_first_key():
    with override_settings(ZHILI_DATA_KEYS={"old": OLD}, ZHILI_INDEX_KEY_ID="old"):
        old_token = encrypt("张三丰")
        old_index = blind_index("id_number", "11010519491231002X")
    with override_settings(ZHILI_DATA_KEYS={"new": NEW, "old": OLD}, ZHILI_INDEX_KEY_ID="old"):
        assert decrypt(old_token) == "张三丰"
        new_token = encrypt("张三丰")
        assert new_token.startswith("new:")
        assert decrypt(new_token) == "张三丰"
        # The index key is pinned to "old", so searching still finds rows indexed before rotation.
        assert blind_index("id_number", "11010519491231002X") == old_index
    with (
        override_settings(ZHILI_DATA_KEYS={"new": NEW}, ZHILI_INDEX_KEY_ID="new"),
        pytest.raises(MissingKeyError, match="'old'"),
    ):
        decrypt(old_token)


def test_blind_index_depends_on_the_index_key():
    with override_settings(ZHILI_DATA_KEYS={"a": OLD, "b": NEW}, ZHILI_INDEX_KEY_ID="a"):
        by_a = blind_index("mobile", "13812345678")
    with override_settings(ZHILI_DATA_KEYS={"a": OLD, "b": NEW}, ZHILI_INDEX_KEY_ID="b"):
        by_b = blind_index("mobile", "13812345678")
    assert by_a != by_b


def test_blind_index_ignores_typing_variants():
    canonical = blind_index("id_number", "11010519491231002X")
    assert len(canonical) == 64 and int(canonical, 16) >= 0
    variants = [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105-19491231-002x",
        "１１０１０５19491231002Ｘ",
    ]
    for variant in variants:
        assert blind_index("id_number", variant) == canonical
    assert blind_index("mobile", "+86 138-1234-5678") == blind_index("mobile", "13812345678")
    assert blind_index("mobile", "0086 13812345678") == blind_index("mobile", "13812345678")


def test_blind_index_separates_kinds_and_values():
    assert blind_index("mobile", "13812345678") != blind_index("id_number", "13812345678")
    assert blind_index("mobile", "13812345678") != blind_index("mobile", "13812345679")
    with pytest.raises(ValueError):
        blind_index("", "1")


def test_blind_index_refuses_an_unconfigured_index_key():
    with (
        override_settings(ZHILI_DATA_KEYS={"a": OLD}, ZHILI_INDEX_KEY_ID="zz"),
        pytest.raises(MissingKeyError, match="'zz'"),
    ):
        blind_index("mobile", "13812345678")


def test_token_key_id_reports_the_key_a_token_needs():
    assert crypto.token_key_id(encrypt("a")) == "t1"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110105199001011234", "110105********1234"),
        ("11010519491231002X", "110105********002X"),
        ("110105900101123", "110105*****1123"),
        ("E12345678", "E1*****78"),
        ("abc", "***"),
    ],
)
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("13812345678", "138****5678"), ("01065551234", "010****1234"), ("65551234", "****1234"), ("", "")],
)
def test_mask_mobile(value, masked):
    assert mask_mobile(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("张三丰", "张*丰"), ("张三", "张*"), ("欧阳娜娜", "欧**娜"), ("王", "*"), ("", "")],
)
def test_mask_name(value, masked):
    assert mask_name(value) == masked


@given(st.text(min_size=5))
def test_masks_never_show_the_middle(value):
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert "*" * (len(value) - 10 if len(value) in (15, 18) else len(value) - 4) in masked


def test_index_key_id_must_name_a_configured_key(tmp_path):
    from zhili.core.tests.test_settings import PRODUCTION, run_zhili

    result = run_zhili(["manage", "check"], {**PRODUCTION, "ZHILI_INDEX_KEY_ID": "k9"}, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "ZHILI_INDEX_KEY_ID" in result.stderr
    assert "Traceback" not in result.stderr
    ok = run_zhili(["manage", "check"], {**PRODUCTION, "ZHILI_INDEX_KEY_ID": "k1"}, tmp_path)
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("请联系13812345678。", "请联系138****5678。"),
        ("身份证110105199001011234，", "身份证110105********1234，"),
        ("证件11010519900101123X", "证件110105********123X"),
        ("全角１３８１２３４５６７８", "全角１３８****５６７８"),
        # Not a mobile or an ID: a landline, an order number, a date and short numbers stay.
        ("电话010-12345678，单号20261130123456789012，2026年11月30日", None),
        ("门牌12号，3栋", None),
    ],
)
def test_mask_numbers_in_text(text, masked):
    assert mask_numbers_in_text(text) == (masked if masked is not None else text)


@given(st.text())
def test_masking_numbers_in_text_keeps_everything_else(text):
    masked = mask_numbers_in_text(text)
    assert len(masked) == len(text)
    assert [c for c in masked if c != "*"] == [c for c, m in zip(text, masked, strict=True) if m != "*"]
