"""Identity normalization: every spelling of one address or number is one identity."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from models.identity import (
    display_name_from_email,
    is_noreply,
    normalize_email,
    normalize_phone,
    parse_addresses,
)

local_chars = string.ascii_lowercase + string.digits


def test_case_and_brackets_fold() -> None:
    assert normalize_email(" <Ada.Lovelace@Example.COM> ") == "ada.lovelace@example.com"
    assert normalize_email("mailto:Ada@example.com") == "ada@example.com"


def test_gmail_dots_and_plus_tags_fold_but_other_domains_keep_them() -> None:
    assert normalize_email("Jonas.Berg+news@googlemail.com") == "jonasberg@gmail.com"
    assert normalize_email("jonas.berg+x@example.com") == "jonas.berg+x@example.com"


def test_garbage_is_not_an_address() -> None:
    for raw in ("", "undisclosed-recipients:;", "no at sign", "a@b", "@example.com", "x@@y.com"):
        assert normalize_email(raw) is None


@given(
    local=st.text(alphabet=local_chars, min_size=1, max_size=12),
    dots=st.lists(st.integers(min_value=0, max_value=11), max_size=3),
    tag=st.text(alphabet=local_chars, max_size=6),
    upper=st.booleans(),
    domain=st.sampled_from(["gmail.com", "googlemail.com", "GMail.com"]),
)
def test_any_gmail_spelling_folds_to_one(
    local: str, dots: list[int], tag: str, upper: bool, domain: str
) -> None:
    spelled = local
    for position in sorted(set(dots), reverse=True):
        spelled = spelled[:position] + "." + spelled[position:]
    spelled = spelled.strip(".") or local
    if tag:
        spelled += "+" + tag
    raw = f"{spelled}@{domain}"
    assert normalize_email(raw.upper() if upper else raw) == f"{local}@gmail.com"


@given(st.emails())
def test_normalizing_is_idempotent(address: str) -> None:
    once = normalize_email(address)
    if once is not None:
        assert normalize_email(once) == once


def test_phones_to_e164_with_default_region() -> None:
    assert normalize_phone("(415) 555-0132", "US") == "+14155550132"
    assert normalize_phone("+49 30 1234567", "US") == "+49301234567"
    assert normalize_phone("030 1234567", "DE") == "+49301234567"
    assert normalize_phone("tel:+1-415-555-0132", "DE") == "+14155550132"
    assert normalize_phone("not a number", "US") is None


@given(st.integers(min_value=2012000000, max_value=9899999999))
def test_us_numbers_fold_however_they_are_written(n: int) -> None:
    digits = str(n)
    formats = [digits, f"({digits[:3]}) {digits[3:6]}-{digits[6:]}", f"+1 {digits}"]
    results = {normalize_phone(f, "US") for f in formats}
    assert len(results) == 1


def test_parse_addresses_handles_names_and_groups() -> None:
    found = parse_addresses('"Doe, John" <John.Doe@Example.com>, undisclosed-recipients:;', None)
    assert found == [("Doe, John", "john.doe@example.com")]


def test_noreply_senders() -> None:
    for address in ("noreply@github.com", "no-reply@x.io", "notifications@bank.example"):
        assert is_noreply(address)
    for address in ("ada@example.com", "nora@example.com", "infoline.kim@example.com"):
        assert not is_noreply(address)
    assert display_name_from_email("ada.lovelace@example.com") == "Ada Lovelace"
