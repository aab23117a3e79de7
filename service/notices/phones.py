"""Vietnamese mobile numbers as SMS gateways and Zalo want them."""

from __future__ import annotations

import re

# Since the 2018 renumbering every mobile number is 0 + 9 digits, the first of them 3, 5, 7,
# 8 or 9; landlines (02x) cannot receive SMS or Zalo messages.
MOBILE = re.compile(r"^[35789]\d{8}$")


def mobile_number(phone: str | None) -> str | None:
    """The 9 digits after the 0 of a mobile number written 09…, +849…, 849… or with spaces;
    None when it is no Vietnamese mobile number."""
    digits = re.sub(r"\D", "", phone or "")
    for prefix in ("84", "0"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 9:
            digits = digits[len(prefix):]
            break
    return digits if MOBILE.match(digits) else None


def written(national: str, style: str) -> str:
    """A number from mobile_number written as 0912345678 ("0") or 84912345678 ("84")."""
    return ("84" if style == "84" else "0") + national


def masked(text: str) -> str:
    """Text with every phone-like run of digits cut to its last three, for error records:
    gateways echo the number they refused."""
    return re.sub(r"(?<!\d)(\+?\d[\d ]{6,}\d)(?!\d)",
                  lambda m: "…" + re.sub(r"\D", "", m.group(1))[-3:], text)
