"""Sending a text message to a phone that has no account yet (verification codes).

The platform's notifications reach accounts (``notifications.services.Sender``); a code goes
to a number, so it has its own small interface. No SMS gateway is bundled: the demo's
``LogSender`` writes the message to the server log, marked 演示, and sends nothing."""

from __future__ import annotations

import logging
from typing import Protocol

from gridgov.kit.crypto import mask_phone

log = logging.getLogger("gridgov.citizen.sms")


class SmsSender(Protocol):
    def send_text(self, phone: str, text: str) -> None: ...


class LogSender:
    """演示用短信通道：不发送短信，只把内容写入服务器日志（号码打码，验证码明文）。"""

    def send_text(self, phone: str, text: str) -> None:
        log.warning("【演示短信，未真实发送】发往 %s：%s", mask_phone(phone), text)


SENDER: list[SmsSender] = [LogSender()]


def send_text(phone: str, text: str) -> None:
    """Through the configured sender (a gateway replaces ``SENDER[0]``)."""
    SENDER[0].send_text(phone, text)
