"""Outgoing email, only when an SMTP server is configured (MAIL_SERVER). The default install has
none: links are shown to the admin, who hands them over. Sent with the standard library (smtplib,
email.message), so there is nothing extra to install or keep up to date.

Settings: MAIL_SERVER, MAIL_PORT (default 587 with MAIL_USE_TLS, 465 with MAIL_USE_SSL, else 25),
MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER,
MAIL_TIMEOUT_SECONDS.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app

log = logging.getLogger(__name__)


def _flag(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send(to: str, subject: str, body: str) -> bool:
    """Send a plain-text message. Returns True when the SMTP server accepted it, False when it
    could not be sent (logged; the caller still has the link to show). Call it after the commit:
    never hold a database transaction open while talking to a mail server."""
    config = current_app.config
    host = config.get("MAIL_SERVER")
    if not host:
        return False
    use_ssl, use_tls = _flag(config.get("MAIL_USE_SSL")), _flag(config.get("MAIL_USE_TLS"))
    port = int(config.get("MAIL_PORT") or (465 if use_ssl else 587 if use_tls else 25))
    sender = config.get("MAIL_DEFAULT_SENDER") or "tandem@localhost"
    timeout = float(config.get("MAIL_TIMEOUT_SECONDS") or 10)

    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(body)
    try:
        context = ssl.create_default_context()
        if use_ssl:
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if use_tls and not use_ssl:
                smtp.starttls(context=context)
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException):
        log.exception("could not send mail to %s through %s:%s", to, host, port)
        return False
