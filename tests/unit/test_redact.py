"""The PAN redactor masks whole card numbers and leaves ids and timestamps alone."""

import pytest

from slpay.redact import luhn_ok, redact_data, redact_text

CARDS = {
    "visa": "4111111111111111",
    "visa13": "4222222222222",
    "mastercard": "5555555555554444",
    "mastercard_2series": "2223003122003222",
    "amex": "378282246310005",
    "discover": "6011111111111117",
    "diners": "30569309025904",
    "jcb": "3530111333300000",
    "unionpay": "6200000000000005",
}


@pytest.mark.parametrize("brand", sorted(CARDS))
def test_plain_card_of_every_major_brand_is_masked_to_first6_last4(brand: str) -> None:
    pan = CARDS[brand]
    assert luhn_ok(pan)
    out = redact_text(f"card={pan};")
    assert pan not in out
    assert out == f"card={pan[:6]}{'*' * (len(pan) - 10)}{pan[-4:]};"


@pytest.mark.parametrize("sep", [" ", "-"])
def test_grouped_card_number_is_masked(sep: str) -> None:
    grouped = sep.join(["4111", "1111", "1111", "1111"])
    assert redact_text(f"paid with {grouped} today") == "paid with 411111******1111 today"


def test_amex_grouped_4_6_5_is_masked() -> None:
    assert redact_text("3782 822463 10005") == "378282*****0005"


def test_facts_22_digit_transaction_id_is_left_untouched() -> None:
    text = '{"data":{"id":"7642912345678901234567","type":"captures"}}'
    assert redact_text(text) == text


def test_13_digit_millisecond_timestamp_is_left_untouched() -> None:
    assert redact_text("t=1764072000000;keyId=x") == "t=1764072000000;keyId=x"


def test_digit_run_inside_a_longer_number_is_not_masked_even_if_a_card_hides_in_it() -> None:
    # 4111111111111111 sits inside a 20-digit run: a longer id, not a card.
    assert redact_text("ref 9994111111111111111") == "ref 9994111111111111111"


def test_card_after_another_number_group_is_still_masked() -> None:
    assert redact_text("order 1234 4111 1111 1111 1111") == "order 1234 411111******1111"


def test_non_luhn_or_non_brand_numbers_are_left_alone() -> None:
    assert redact_text("4111111111111112") == "4111111111111112"  # bad Luhn
    assert redact_text("1111111111111117") == "1111111111111117"  # no brand prefix


def test_structured_data_drops_cvv_fields_and_masks_card_fields() -> None:
    data = {
        "paymentInformation": {
            "card": {"number": "4111111111111111", "securityCode": "123", "expirationYear": "2031"}
        },
        "cvv": "999",
        "cvn": "1",
        "notes": ["call 5555 5555 5555 4444"],
    }
    out = redact_data(data)
    assert out == {
        "paymentInformation": {"card": {"number": "411111******1111", "expirationYear": "2031"}},
        "notes": ["call 555555******4444"],
    }


def test_structured_data_never_rewrites_id_or_timestamp_fields() -> None:
    data = {"id": "4111111111111111", "submitTimeUtc": "4111111111111111", "t": 4111111111111111}
    assert redact_data(data) == data
