"""Auto-replies are told from ordinary mail by their headers, subject or opening words."""

from __future__ import annotations

import pytest

from bot.bounces import parse
from bot.models import Kind


def _mail(headers: str, body: str = "Hello.\n") -> bytes:
    return f"From: someone@example.org\nTo: us@example.com\n{headers}\n{body}".encode()


@pytest.mark.parametrize(("headers", "body", "kind"), [
    ("Subject: Re: hello\nAuto-Submitted: auto-replied\n", "", Kind.AUTOREPLY),
    ("Subject: Automatic reply: Invoice\nAuto-Submitted: auto-generated\n", "", Kind.AUTOREPLY),  # Exchange
    ("Subject: Abwesenheitsnotiz: Rechnung\n", "", Kind.AUTOREPLY),
    ("Subject: Réponse automatique : facture\n", "", Kind.AUTOREPLY),
    ("Subject: Re: hello\nX-Autoreply: yes\n", "", Kind.AUTOREPLY),
    ("Subject: Re: hello\nIn-Reply-To: <a@example.com>\n", "I am out of the office until Monday.\n",
     Kind.AUTOREPLY),
    ("Subject: Your invoice\nAuto-Submitted: auto-generated\n", "Please find your invoice.\n", Kind.NOT_BOUNCE),
    ("Subject: Lunch?\nAuto-Submitted: no\n", "Shall we?\n", Kind.NOT_BOUNCE),
    ("Subject: Out of ideas for the party\n", "Any suggestions?\n", Kind.NOT_BOUNCE),
], ids=["rfc3834", "exchange-automatic-reply", "german", "french", "x-autoreply", "body-in-reply",
        "auto-generated-notice", "auto-submitted-no", "ordinary-subject"])
def test_kind(headers: str, body: str, kind: Kind) -> None:
    assert parse(_mail(headers + "\n", body), strict=True).kind is kind


def test_a_person_quoting_dsn_fields_is_not_a_bounce() -> None:
    body = ("Hi postmaster, I got this back, what does it mean?\n\nFinal-Recipient: rfc822; bob@example.net\n"
            "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n")
    assert parse(_mail("Subject: Fwd: strange error\n\n", body), strict=True).kind is Kind.NOT_BOUNCE
