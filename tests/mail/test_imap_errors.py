"""How IMAP-side failures are named: a lost connection is retried, a real TLS fault is not."""

from __future__ import annotations

import ssl

import pytest

from bot.config import MailboxSettings
from bot.errors import MailboxTLSError, MailboxUnavailable
from bot.mail.imap import ImapSource


def source() -> ImapSource:
    return ImapSource(MailboxSettings(name="pm", host="imap.example.com"), {})


def sys_error() -> ssl.SSLError:
    # What Python 3.11 with OpenSSL >= 3.4 raises when the server vanishes mid-read.
    error = ssl.SSLError(5, "[SYS] unknown error (_ssl.c:2580)")
    error.library = "SYS"
    return error


@pytest.mark.parametrize("error", [sys_error(), ssl.SSLEOFError(8, "EOF occurred in violation of protocol")],
                         ids=["openssl-3.5-sys", "eof"])
def test_connection_lost_under_tls_is_unavailable(error: ssl.SSLError) -> None:
    with pytest.raises(MailboxUnavailable, match="dropped the connection while fetching"), \
            source()._errors("fetching"):
        raise error


def test_handshake_failure_stays_a_tls_error() -> None:
    error = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    error.library = "SSL"
    with pytest.raises(MailboxTLSError, match=r"TLS with imap\.example\.com:993 failed"), \
            source()._errors("connecting"):
        raise error
