"""No personal data in any log line. The app keeps searches out of URLs (POST) and
``yiyang serve`` logs paths without query strings; this filter is the last net under both:
anything in a log record that looks like a 身份证号 or a mobile number is masked before a
handler writes it."""

from __future__ import annotations

import logging
import re

# 18-character ID numbers (17 digits + digit/X) and 15-digit ones; mainland mobiles 1[3-9]xxxxxxxxx.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8,11}([\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def redact(text: str) -> str:
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 7) + m.group(2), text)
    return _MOBILE.sub(r"\1****\2", text)


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
