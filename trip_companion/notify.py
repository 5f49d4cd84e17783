"""Telling people: email over SMTP (configured by environment), never blocking the act."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

log = logging.getLogger(__name__)


def send_mail(config: Mapping[str, Any], to: list[str], subject: str, body: str) -> bool:
    """Send a plain-text email; return False (and log why) when SMTP is off or fails."""
    host = config.get("SMTP_HOST")
    if not host or not to:
        return False
    message = EmailMessage()
    message["From"] = config.get("MAIL_FROM", "trip-companion@localhost")
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(host, int(config.get("SMTP_PORT", 25)), timeout=10) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD", ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("could not send %r to %s: %s", subject, to, exc)
        return False
    return True
