"""The parse table: what parse(bytes) should read from each of our sample bounces in tests/fixtures/bounces."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.models import Action, Kind


@dataclass(frozen=True, slots=True, kw_only=True)
class Want:
    kind: Kind
    mta: str | None = None
    # (address, action, status, reply code, reason, hard) per recipient, in order
    recipients: tuple[tuple[str, Action, str | None, str | None, str, bool], ...] = ()
    message_id: str | None = None  # of the bounced original
    ours: bool | None = None
    blocklists: tuple[str, ...] = field(default_factory=tuple)


F, D = Action.FAILED, Action.DELAYED
USERUNKNOWN = ("kijitora@example.org", F, "5.1.1", "550", "userunknown", True)

# Standard DSNs are read by rfc3464; "postfix" is its name when Postfix's own fields show.
CASES: dict[str, Want] = {
    "rfc3464-failed.eml": Want(kind=Kind.BOUNCE, mta="postfix", recipients=(USERUNKNOWN,),
                               message_id="<news-2026-03.kijitora@example.com>", ours=True),
    "crlf-rfc3464-failed.eml": Want(kind=Kind.BOUNCE, mta="postfix", recipients=(USERUNKNOWN,),
                                    message_id="<news-2026-03.kijitora@example.com>", ours=True),
    "cr-only-rfc3464-failed.eml": Want(kind=Kind.BOUNCE, mta="postfix", recipients=(USERUNKNOWN,),
                                       message_id="<news-2026-03.kijitora@example.com>", ours=True),
    "rfc3464-delayed-multi.eml": Want(
        kind=Kind.BOUNCE, mta="rfc3464",
        recipients=(("neko@slow.example.org", D, "4.4.1", "421", "expired", False),
                    ("tora@full.example.org", D, "4.2.2", "452", "mailboxfull", False)),
        message_id="<quote-17@example.com>", ours=True),
    # No Received or DKIM in the returned headers: only the Message-ID domain speaks (weakly).
    "rfc3464-delivered.eml": Want(kind=Kind.DELIVERED, mta="postfix", message_id="<invoice-42@example.com>",
                                  ours=True),
    "rfc3464-blocked-spoofed.eml": Want(
        kind=Kind.BOUNCE, mta="rfc3464",
        recipients=(("victim@example.org", F, "5.7.1", "554", "blocked", False),),
        message_id="<abc123@spammer.example.net>", ours=False, blocklists=("zen.spamhaus.org",)),
    "arf-abuse.eml": Want(kind=Kind.FEEDBACK, mta="arf",
                          recipients=(("reader@isp.example.net", F, None, None, "feedback", False),),
                          message_id="<sale-1@example.com>", ours=True),
    "arf-jmrp.eml": Want(kind=Kind.FEEDBACK, mta="arf",
                         recipients=(("reader@outlook.example.com", F, None, None, "feedback", False),),
                         message_id="<sale-2@example.com>", ours=True),
    # No Diagnostic-Code: the reply comes from the transcript (the Sendmail detector refines rfc3464)
    "rfc3464-sendmail-transcript.eml": Want(
        kind=Kind.BOUNCE, mta="sendmail",
        recipients=(("nobody@no-such-domain.example", F, "5.1.2", "550", "hostunknown", True),),
        message_id="<order-9@example.com>", ours=True),
    # "Status: 4.4.7" but the remote server said "421 4.4.2": its words win
    "rfc3464-status-in-words.eml": Want(
        kind=Kind.BOUNCE, mta="rfc3464", recipients=(("sabatora@example.org", F, "4.4.2", "421", "expired", False),)),
    "autoreply-rfc3834.eml": Want(kind=Kind.AUTOREPLY),
    "autoreply-out-of-office.eml": Want(kind=Kind.AUTOREPLY),
    "ordinary-mail.eml": Want(kind=Kind.NOT_BOUNCE),
    "hostile-8bit-headers.eml": Want(
        kind=Kind.BOUNCE, mta="rfc3464", recipients=(("josé@example.fr", F, "5.1.1", "550", "userunknown", True),)),
    "hostile-bad-charset.eml": Want(
        kind=Kind.BOUNCE, mta="rfc3464", recipients=(("mueller@example.de", F, "5.2.2", "552", "mailboxfull", False),)),
    "hostile-bounce-of-bounce.eml": Want(
        kind=Kind.BOUNCE, mta="rfc3464",
        recipients=(("mailer-daemon@mx1.example.net", F, "5.1.1", "550", "userunknown", True),),
        message_id="<bob-inner@mx1.example.net>"),
    # Cut inside the delivery-status part: the Status field is lost, the human text supplies the code.
    "hostile-truncated.eml": Want(kind=Kind.BOUNCE, mta="postfix", recipients=(USERUNKNOWN,)),
    # Unclosed boundary quote: no MIME structure survives, the DSN fields are read from the text.
    # Blank and space-only lines above the first header (an MUA or a mailbox migration put them there)
    "hostile-leading-blank-lines.eml": Want(kind=Kind.BOUNCE, mta="postfix", recipients=(USERUNKNOWN,),
                                           message_id="<news-2026-03.kijitora@example.com>", ours=True),
    "hostile-broken-mime.eml": Want(
        kind=Kind.BOUNCE, mta="rfc3464", recipients=(("lost@example.org", F, "5.1.1", "550", "userunknown", True),)),
}
