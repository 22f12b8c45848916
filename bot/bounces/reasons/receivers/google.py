"""Gmail's and Google Workspace's documented replies (support.google.com/a/answer/3221692), via
Sisimai's rhost/google.rb and rhost/gsuite.rb."""

from __future__ import annotations

from bot.bounces.reasons.receivers.base import Receiver, Rule, rules
from bot.models import Reason

R = Reason

# Google Workspace relaying for its tenants (*.googlemail.com), via Sisimai's rhost/gsuite.rb: the
# same DNS words are a missing domain when final (5xx) and a network fault when temporary (4xx)
GSUITE = (
    *rules((R.HOSTUNKNOWN, (" responded with code nxdomain", "domain name not found")), status="5"),
    *rules((R.NETWORKERROR, (" had no relevant answers.", "responded with code nxdomain", "domain name not found")),
           status="4"),
    Rule(reason=R.NOTACCEPT, phrase="null mx"),
    # "The response was: ... because the address couldn't be found. Check for typos or unnecessary spaces ..."
    Rule(reason=R.USERUNKNOWN,
         phrase="because the address couldn't be found. check for typos or unnecessary spaces and try again."),
)

# https://support.google.com/a/answer/3221692 (Gmail SMTP error reference), via Sisimai's rhost/google.rb
RECEIVER = Receiver(
    name="google",
    hosts=("google.com", "googlemail.com", "gmail.com"),
    domains=("gmail.com", "googlemail.com"),
    rules=rules(
        (
            R.AUTHFAILURE,
            (
                "the spf record of the sending domain",
                "senders to authenticate with either spf or dkim",
                "fails to pass spf checks for an spf record with a hard fail",
                "has an spf record with a hard fail policy",
                "is not accepted due to domain's dmarc policy",
                "fails to pass authentication checks",
                "senders to authenticate with spf",
                "senders to authenticate their email with spf",
                "senders to authenticate their email with dkim",
                "senders to authenticate with dkim",
                "aligned with either the authenticated spf or dkim",
            ),
        ),
        (
            R.BADREPUTATION,
            ("very low reputation of the sending ip address", "very low reputation of the sending domain"),
        ),
        (
            R.REQUIREPTR,
            (
                "does not meet ipv6 sending guidelines regarding ptr records and authentication",
                "does not have a ptr record",
                " have a ptr record, or the ptr record",
                "does not match the ip address of the hostname",
            ),
        ),
        (
            R.BLOCKED,
            (
                "ip not in whitelist for rcpt domain",
                "try again later, closing connection.",
                "empty helo/ehlo argument not allowed",
                "helo/ehlo argument is invalid",
                "an unusual rate of unsolicited mail",
                "an unusual rate of mail",
            ),
        ),
        (R.EXPIRED, ("connection expired", "timeout - closing connection")),
        (R.MAILBOXFULL, ("inbox is out of storage space", "is over quota", "email quota exceeded")),
        (R.MESGTOOBIG, ("exceeded google's message size limits", "exceeds google's message size limit of")),
        (R.NETWORKERROR, ("message exceeded 50 hops",)),
        (
            R.NORELAYING,
            (
                "mail relay denied",
                "invalid credentials for relay",
                "is not authorized to send email directly to our servers",
            ),
        ),
        (
            R.NOTCOMPLIANTRFC,
            (
                "missing a valid address in the from: header",
                "multiple addresses in from: header are not accepted",
                "is not rfc 5322 compliant",
                "missing a valid message-id: header",
                "contains a unicode character in a disallowed header",
                "encoded-word syntax is not permitted",
                "is not a valid rfc 5321 address",
                "mail message is malformed",
            ),
        ),
        (
            R.POLICYVIOLATION,
            (
                "illegal attachment on your message",
                "blocked because its content presents a potential security issue",
                "you are sending to (or from) has a policy that prohibited",
                "sending messages with the same message-id:",
            ),
        ),
        (R.REJECTED, ("mail sending denied", "unauthenticated email is not accepted")),
        (
            R.SECURITYERROR,
            (
                "tls required for rcpt domain",
                "too many login attempts",
                "no identity changes permitted",
                "authentication required.",
                "application-specific password required",
                "please log in with your web browser",
                "please log in through your web browser",
                "username and password not accepted",
                "senders to use tls/ssl for smtp",
            ),
        ),
        (R.SPAMDETECTED, ("due to the nature of the content or the links within", "likely unsolicited mail")),
        (
            R.SPEEDING,
            (
                "is receiving mail too quickly",
                "peak smtp relay limit exceeded for customer",
                "rate that prevents additional messages from being delivered",
                "daily sending quota exceeded",
                "daily user sending limit exceeded",
                "daily smtp relay limit exceeded for",
                "daily smtp relay sending limit exceeded for",
                "this mail has been rate limited",
            ),
        ),
        (R.SUSPEND, ("account that you tried to reach is disabled", "account that you tried to reach is inactive")),
        (
            R.SYSTEMERROR,
            (
                "temporary system problem",
                "server busy",
                "multiple destination domains per transaction is unsupported",
                "mail server has temporarily rejected this message",
                "mail server temporarily rejected message",
                "domain policy size per transaction exceeded",
            ),
        ),
        (R.TOOMANYCONN, ("your message has too many recipients",)),
        (R.USERUNKNOWN, ("the email account that you tried to reach does not exist",)),
        (
            R.SYNTAXERROR,
            (
                "smtp protocol violation",
                "optional argument not permitted",
                "starttls may not be repeated",
                "syntax error",
                "too many unrecognized commands, goodbye",
                "unimplemented command",
                "unrecognized command",
                "bad sequence of commands",
                "ehlo/helo first",
                "no data after bdat",
                "unrecognized authentication type",
                "xoauth is no longer supported",
                "must issue a starttls command first",
                "too many unauthenticated commands",
            ),
        ),
    ) + GSUITE,
)
