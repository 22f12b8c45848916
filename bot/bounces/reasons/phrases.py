"""The reason tables: the phrases servers write, per Sisimai reason.

Data only, read by `bot.bounces.reasons` (the status codes' table is `status`). Phrases are lower
case and matched as substrings of the diagnostic (also lower-cased); a pair matches when both
halves occur in that order. Entries that only one MTA or provider writes carry a comment naming
it. The lists start from Sisimai's lib/sisimai/reason/*.rb (BSD-2, © azumakuniyuki) and grow with
what we meet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from bot.models import Reason

R = Reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Phrases:
    """Lower-case phrases that name a reason: any `contains`, or both halves of a pair in order."""

    contains: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    regex: re.Pattern[str] | None = None
    unless: tuple[str, ...] = ()  # phrases that veto a match

    def match(self, text: str, *, contained: bool | None = None) -> bool:
        """Whether `text` names the reason; `contained` says whether a `contains` phrase occurs in
        it, when the caller has found out for all tables at once (`bot.bounces.reasons.literals`)."""
        if self.unless and any(p in text for p in self.unless):
            return False
        if contained is None:
            contained = any(p in text for p in self.contains)
        if contained:
            return True
        for first, second in self.pairs:
            at = text.find(first)
            if at >= 0 and text.find(second, at + len(first)) >= 0:
                return True
        return bool(self.regex and self.regex.search(text))


PHRASES: Mapping[Reason, Phrases] = MappingProxyType(
    {
        R.USERUNKNOWN: Phrases(
            contains=(
                # KDDI au: 550 <x>: Recipient address rejected. (at RCPT)
                "recipient address rejected.",
                "#5.1.1 bad address",
                "550 address invalid",
                "5.1.0 address rejected.",
                "address does not exist",
                "address not present in directory",
                "address unknown",
                "can't accept user",
                "does not exist.",
                "destination addresses were unknown",
                "destination server rejected recipients",
                "email address does not exist",
                "email address could not be found",
                "invalid address",
                "invalid mailbox",
                "invalid recipient",
                "is not a known user",
                "is not a valid mailbox",
                "is not an active address at this host",
                "mailbox does not exist",
                "mailbox invalid",
                "mailbox is inactive",
                "mailbox is unavailable",
                "mailbox not present",
                "mailbox not found",
                "mailbox unavaiable",
                "nessun utente simile in questo indirizzo",
                "no account by that name here",
                "no existe dicha persona",
                "no existe ese usuario ",
                "no mail box available for this user",
                "no mailbox by that name is currently available",
                "no mailbox found",
                "no such address here",
                "no such mailbox",
                "no such person at this address",
                "no such recipient",
                "no such user",
                "no thank you rejected: account unavailable",
                "no valid recipients, bye",
                "not a valid recipient",
                "not a valid user here",
                "not a local address",
                "not email addresses",
                "recipient address rejected. (in reply to rcpt to command)",
                "recipient address rejected: access denied",
                "recipient address rejected: invalid user",
                "recipient address rejected: invalid-recipient",
                "recipient address rejected: unknown user",
                "recipient address rejected: userunknown",
                "recipient does not exist",
                "recipient is not accepted",
                "recipient is not local",
                "recipient not exist",
                "recipient not found",
                "recipient not ok",
                "recipient refuses to accept your mail",
                "recipient unknown",
                "requested action not taken: mailbox unavailable",
                "resolver.adr.recipient notfound",  # Exchange
                "resolver.adr.recipnotfound",
                "sorry, user unknown",
                "sorry, badrcptto",  # qmail
                "sorry, no mailbox here by that name",
                "sorry, your envelope recipient has been denied",
                "that domain or user isn't in my list of allowed rcpthosts",
                "the email account that you tried to reach does not exist",  # Gmail
                "the following recipients was undeliverable",
                "the user's email name is not found",
                "there is no one at this address",
                "this address no longer accepts mail",
                "this email address is wrong or no longer valid",
                "this recipient is in my badrecipientto list",
                "this recipient is not in my validrcptto list",
                "this spectator does not exist",
                "unknown mailbox",
                "unknown recipient",
                "unknown user",
                "user does not exist",
                "user missing home directory",
                "user not active",
                "user not exist",
                "user not found",
                "user not known",
                "user unknown",
                "utilisateur inconnu !",
                "vdeliver: invalid or unknown virtual user",  # vpopmail
                "your envelope recipient is in my badrcptto list",
                "invalid recipient address",
                "no such local user",
                "addressee unknown",
                "unknown address",
                "unknown or illegal alias",
                "recipient address rejected: user unknown",
                "is not a valid e-mail address",
                "invalid mailbox path",
            ),
            pairs=(
                ("<", "> not found"),
                ("<", ">... blocked by "),
                ("account ", " does not exist at the organization"),
                ("bad", "recipient"),
                ("mailbox ", "does not exist"),
                ("mailbox ", "unavailable or access denied"),
                ("no ", " in name directory"),
                ("non", "existent user"),
                ("rcpt <", " does not exist"),
                ("rcpt (", "t exist "),
                ("recipient ", " was not found in"),
                ("recipient address rejected: user ", " does not exist"),
                ("recipient address rejected: user unknown in ", " table"),
                ("said: 550-5.1.1 ", " user unknown "),
                ("said: 550 5.1.1 ", " user unknown "),
                ("this user doesn't have a ", " account"),
                ("unknown e", "mail address"),
                ("unknown local", "part"),
                ("user ", " was not found"),
                ("user ", " does not exist"),
                ("user (", ") unknown"),
            ),
        ),
        R.HOSTUNKNOWN: Phrases(
            contains=(
                "unroutable address",
                "domain does not exist",
                "domain is not reachable",
                "domain must exist",
                "host or domain name not found",
                "host unknown",
                "host unreachable",
                "mail domain mentioned in email address is unknown",
                "name or service not known",
                "no such domain",
                "recipient address rejected: unknown domain name",
                "recipient domain must exist",
                "the account or domain may not exist",
                "unknown host",
                "unrouteable address",
                "domain not found",
                "host not found",
                "no mx record",
                "unrouteable mail domain",
            ),
            pairs=(("553 ", " does not exist"),),  # "553 example.net does not exist"
            unless=("host not found, try again",),
        ),
        R.HASMOVED: Phrases(
            contains=(" has been replaced by ",), regex=re.compile(r"address .+ has been replaced by ")
        ),
        R.MAILBOXFULL: Phrases(
            contains=(
                "account disabled temporarly for exceeding receiving limits",
                "account is exceeding their quota",
                "account is over quota",
                "account is temporarily over quota",
                "boite du destinataire pleine",
                "delivery failed: over quota",
                "disc quota exceeded",
                "does not have enough space",
                "exceeded storage allocation",
                "exceeding its mailbox quota",
                "full mailbox",
                "is over disk quota",
                "is over quota temporarily",
                "mail file size exceeds the maximum size allowed for mail delivery",
                "mail quota exceeded",
                "mailbox exceeded the local limit",
                "mailbox full",
                "mailbox has exceeded its disk space limit",
                "mailbox is full",
                "mailbox over quota",
                "mailbox quota usage exceeded",
                "mailbox size limit exceeded",
                "maildir over quota",
                "maildir delivery failed: userdisk quota ",
                "maildir delivery failed: domaindisk quota ",
                "mailfolder is full",
                "not enough storage space in",
                "over the allowed quota",
                "quota exceeded",
                "quota violation for",
                "recipient reached disk quota",
                "recipient rejected: mailbox would exceed maximum allowed storage",
                "the recipient mailbox has exceeded its disk space limit",
                "the user's space has been used up",
                "the user you are trying to reach is over quota",
                "too much mail data",  # NTT docomo
                "user has exceeded quota, bouncing mail",
                "user has too many messages on the server",
                "user is over quota",
                "user is over the quota",
                "user over quota",
                "was automatically rejected: quota exceeded",
                "would be over the allowed quota",
                "mailbox is over quota",
                "over quota",
                "inbox is full",
                "out of storage space",
                "mailbox is out of storage",
                "exceeded its quota",
                "is full and can't accept",
                "diskspace quota",  # vpopmail: the recipient's maildir has overdrawn his diskspace quota
                "account is full",
            )
        ),
        R.EXCEEDLIMIT: Phrases(contains=("message too large",)),
        R.MESGTOOBIG: Phrases(
            contains=(
                "exceeds the maximum size ",
                "taille limite du message atteinte",
                # 500 Line limit exceeded (after end of data)
                "line limit exceeded",
                "exceeded maximum inbound message size",
                "max message size exceeded",
                "message file too big",
                "message length exceeds administrative limit",
                "message size exceeds fixed limit",
                "message size exceeds fixed maximum message size",
                "message size exceeds maximum value",
                "message too big",
                "size limit",
                "message is too big",
                "message is too large",
                "exceeds size limit",
                "mail size exceeds",
                "message size exceeds",
                "size exceeds the maximum",
            ),
            pairs=(
                ("exceeded", "message size"),
                ("message size", "exceed"),
                ("message ", " too big"),
                ("message too large for this ", ""),
            ),
        ),
        R.SUSPEND: Phrases(
            contains=(
                "is unavailable: user is terminated",
                " is currently suspended",
                " temporary locked",
                "boite du destinataire archivee",
                "email account that you tried to reach is disabled",  # Gmail
                "invalid/inactive user",
                "is a deactivated mailbox",  # QQ
                "mailbox currently suspended",
                "mailbox is frozen",
                "mailbox unavailable or access denied",
                "recipient rejected: temporarily inactive",
                "recipient suspend the service",
                "this account has been disabled or discontinued",
                "this mailbox is disabled",
                "user suspended",  # 163.com
                "vdelivermail: account is locked email bounced",
                "account has been suspended",
                "account is disabled",
                "account disabled",
                "account is inactive",
                "mailbox disabled",
                "account has been disabled",
                "mailbox is disabled",
                "user is disabled",
                "account is suspended",
                "mailbox is suspended",
                "user is suspended",
                "has been suspended",
                "user account disabled",
            )
        ),
        R.FILTERED: Phrases(
            contains=(
                "because the recipient is only accepting mail from specific email addresses",  # AOL Phoenix
                "bounced address",  # SendGrid: the address bounced before
                "due to extended inactivity new mail is not currently being accepted for this mailbox",
                "has restricted sms e-mail",  # AT&T
                "is not accepting any mail",
                "refused due to recipient preferences",  # Facebook
                "resolver.rst.notauthorized",  # Exchange
                "this account is protected by",
                "user reject",
                "you have been blocked by the recipient",
                # Willcom
                "we failed to deliver mail because the following address recipient id refuse to receive mail",
            )
        ),
        R.REJECTED: Phrases(
            contains=(
                # SecuMail
                "denied by secumail valid-address-filter",
                "access denied (sender blacklisted)",
                "invalid sender",
                "sender address has been blacklisted",
                "this server does not accept mail from",
                # Sender ID (PRA) check of the sender
                "can't determine purported responsible address",
                # Yahoo TSS04, refused at MAIL FROM
                "temporarily deferred due to unexpected volume or user complaints",
                "<> invalid sender",
                "access denied (in reply to mail from command)",
                "address rejected",
                "administrative prohibition",
                "batv failed to verify",
                "batv validation failure",  # SonicWall
                "backscatter protection detected an invalid or expired email address",  # MDaemon
                "bogus mail from",  # IMail
                "connections not accepted from servers without a valid sender domain",
                "denied [bouncedeny]",  # McAfee
                "delivery not authorized, message refused",
                "does not exist e2110",
                "domain of sender address ",
                "emetteur invalide",
                "empty envelope senders not allowed",
                "envelope blocked – ",
                "error: no third-party dsns",  # SpamWall
                "from: domain is invalid. please provide a valid from:",
                "fully qualified email address required",  # McAfee
                "invalid domain, see <url:",
                "is not a registered gateway user",
                "mail from not owned by user",
                "message rejected: email address is not verified",  # Amazon SES
                "mx records for ",
                "null sender is not allowed",
                "recipient addresses rejected : access denied",
                "recipient not accepted. (batv: no tag",
                "returned mail not accepted here",
                "rfc 1035 violation: recursive cname records for",
                "rule imposed mailbox access for",  # MailMarshal
                "sender email address rejected",
                "sender is spammer",
                "sender not pre-approved",
                "sender rejected",
                "sender domain is empty",
                "sender verify failed",  # Exim callout
                "syntax error: empty email address",
                "the message has been rejected by batv defense",
                "transaction failed unsigned dsn for",
                "unroutable sender address",
                "you are sending to/from an address that has been blacklisted",
                "sender address rejected",
            ),
            unless=("5.1.0 address rejected", "recipient address rejected", "sender ip address rejected"),
        ),
        R.BLOCKED: Phrases(
            contains=(
                # SFR
                "client host rejected: abus detecte gu_eib_0",
                # Outlook.com SC-004
                "too many unwanted messages have been sent from the following ip address above",
                # Free.fr
                "too many spams from your ip",
                # Exim: refused before HELO
                "smtp error from remote mail server after initial connection:",
                # iCloud
                "esmtp not accepting connections",
                # Sisimai 5 blocked.rb
                " said: 550 blocked",
                "blocked - see http",
                "refused - see http",
                "connections not accepted from ip addresses on spamhaus xbl",
                "currently sending spam see: ",
                "dnsbl:attrbl",
                "dynamic/zombied/spam ips blocked",
                "email blocked by ",
                "error: no valid recipients from ",
                "helo command rejected:",
                "is in a black list",
                "part of their network is on our block list",
                "rejected because the sending mta or the sender has not passed validation",
                "server access forbidden by your ip ",
                "service not available, closing transmission channel",
                "to submit messages to this e-mail system has been rejected",
                "you are not allowed to connect",
                "you are sending spam",
                "your email address has been blacklisted",
                "bad sender ip address",
                "extreme bad ip profile",
                "no matches to nameserver query",
                # Orange: 421 ... ME Service refuse. Veuillez essayer plus tard. Service refused, please try later.
                "service refused, please try later",
                # Yahoo: 554 INVALID IP FOR SENDING MAIL OF DOMAIN
                "invalid ip for sending mail of domain",
                "access denied. ip name lookup failed",
                "banned sending ip",
                "blacklisted by",
                "blocked using ",
                "cannot resolve your address",
                "client host rejected: may not be mail exchanger",
                "client host rejected: was not authenticated",  # Microsoft
                "confirm this mail server",
                "connection dropped",
                "connection refused by",
                "connection reset by peer",
                "connection was dropped by remote host",
                "domain does not exist:",
                "go away",
                "hosts with dynamic ip",
                "ip/domain reputation problems",
                "is not allowed to send mail from",
                "no access from mail server",
                "not currently accepting mail from your ip",  # Microsoft
                "please use the smtp server of your isp",
                "rejecting open proxy",  # Sendmail
                "sorry, that domain isn't in my list of allowed rcpthosts",
                "sorry, your remotehost looks suspiciously like spammer",
                "spf record",
                "unresolvable relay host name",
                "your network is temporary blacklisted",
                "your server requires confirmation",
                "we do not accept mail from dynamic ips",  # mail.ru
                "http://www.spamcop.net/bl.",
                "is listed in",
                "listed at",
                "listed on",
                "dnsbl",
                " rbl",  # with the space: "rbl" alone matched host names such as mx.marblearch.example
                "blocklist",
                "blacklist",
                "block list",
                "black list",
                "has been blocked",
                "your ip address is blocked",
                "ip address is blocked",
                "service unavailable; client host",
                "client host rejected",
                "poor reputation",
                "sender ip address rejected",
                "not allowed to connect",
                "spamhaus",
                "barracuda",
                "reputation",
                "has been temporarily blocked",
                "blocked by",
                "your access to this mail system has been rejected",
                "connection rejected",
                "banned",
            ),
            pairs=(
                ("message from ", " rejected based on blacklist"),
                ("server ip ", " listed as abusive"),
                ("your sender's ip address is listed at ", ".abuseat.org"),
                ("mail from ", " refused:"),
                # Outlook.com SC-004: "Unfortunately, messages from 192.0.2.1 weren't sent."
                ("unfortunately, messages from ", " weren't sent"),
                ("access from ip address ", " blocked"),
                ("client host ", " blocked using"),
                ("connections will not be accepted from ", "because the ip is in spamhaus's list"),
                ("dnsbl:", " is blocked"),
                ("domain ", " mismatches client ip"),
                ("ip ", " is blocked by earthlink"),
                ("mail server at ", " is blocked"),
                ("messages from ", " temporarily deferred due to user complaints"),  # Yahoo
                ("the ", " is blacklisted"),
                ("the email ", " is blacklisted"),
                ("(", ":blocked)"),  # "(a@example.org:blocked)"
                ("refused to talk to me: ", " blocked"),  # "host mx.example.org refused to talk to me: 554 blocked"
                ("is in an ", "rbl on "),
            ),
        ),
        R.SPAMDETECTED: Phrases(
            contains=(
                # SendGrid: the recipient reported an earlier message as spam
                "spam reporting address",
                "this e-mail cannot be forwarded because it was detected as spam",
                "this mail is classified as spam and is rejected",
                "you're using a mass mailer",
                " - spam",
                "//www.spamhaus.org/help/help_spam_16.htm",
                "//dsbl.org/help/help_spam_16.htm",
                "//mail.163.com/help/help_spam_16.htm",
                "554 5.7.0 reject, id=",
                "appears to be unsolicited",
                "blacklisted url in message",
                "block for spam",
                "blocked by policy: no spam please",
                "blocked by spamassassin",
                "blocked for abuse. see http://att.net/blocks",  # AT&T
                "bulk email",
                "cannot be forwarded because it was detected as spam",
                "considered unsolicited bulk e-mail (spam) by our mail filters",
                "content filter rejection",
                "cyberoam anti spam engine has identified this email as a bulk email",
                "denied due to spam list",
                "high probability of spam",
                "is classified as spam and is rejected",
                "listed in work.drbl.imedia.ru",
                "the mail server detected your message as spam and has prevented delivery.",  # cPanel/Exim
                "mail appears to be unsolicited",
                "mail content denied",  # QQ
                "may consider spam",
                "message considered as spam or virus",
                "message contains spam or virus",
                "message content rejected",
                "message detected as spam",
                "message filtered",
                "message looks like spam",
                "message is being rejected as it seems to be a spam",
                "message refused by mailmarshal spamprofiler",
                "message refused by trustwave seg spamprofiler",
                "message rejected as spam",
                "message rejected because of unacceptable content",
                "message rejected due to suspected spam content",
                "message rejected for policy reasons",
                "message was rejected for possible spam/virus content",
                "our email server thinks this email is spam",
                "our system has detected that this message is ",
                "probable spam",
                "reject bulk.advertising",
                "rejected: spamassassin score ",
                "rejecting banned content",
                "rejecting mail content",
                "related to content with spam-like characteristics",
                "sending address not accepted due to spam filter",
                "spam blocked",
                "spam check",
                "spam content matched",
                "spam detected",
                "spam email",
                "spam email not accepted",
                "spam message rejected.",  # mail.ru
                "spam not accepted",
                "spam refused",
                "spam rejection",
                "spam score ",
                "spambouncer identified spam",
                "spamming not allowed",
                "too much spam.",  # EarthLink
                "the email message was detected as spam",
                "the message has been rejected by spam filtering engine",
                "the message was rejected due to classification as bulk mail",
                "the content of this message looked like spam",  # SendGrid
                "this message appears to be spam",
                "this message has been identified as spam",
                "this message has been scored as spam with a probability",
                "this message was classified as spam",
                "this message was rejected by recurrent pattern detection system",
                "transaction failed spam message not queued",  # SendGrid
                "we dont accept spam",
                "your email appears similar to spam we have received before",
                "your email breaches local uribl policy",
                "your email had spam-like ",
                "your email is considered spam",
                "your email is probably spam",
                "your email was detected as spam",
                "your message as spam and has prevented delivery",
                "your message has been temporarily blocked by our filter",
                "your message has been rejected because it appears to be spam",
                "your message has triggered a spam block",
                "your message may contain the spam contents",
                "your message failed several antispam checks",
                "identified as spam",
                "considered spam",
                "looks like spam",
                "detected as spam",
                "is spam",
            ),
            pairs=(
                ("greylisted", " please try again in"),
                ("mail rejete. mail rejected. ", "506"),
                ("our filters rate at and above ", " percent probability of being spam"),
                ("rejected by ", " (spam)"),
                ("rule imposed as ", " is blacklisted on"),
                ("spam ", " exceeded"),
                ("this message scored ", " spam points"),
            ),
            regex=re.compile(
                r"(?:\d\.\d\.\d|\d{3}) spam$|rejected due to spam (?:url in )?(?:classification|content)"
                r"|sender domain listed at \S+"
            ),
        ),
        R.VIRUSDETECTED: Phrases(
            contains=(
                "it has a potentially executable attachment",
                "the message was rejected because it contains prohibited virus",
                "this form of attachment has been used by recent viruses",
                "virus detected",
                "virus phishing/malicious_url detected",
                "your message was infected with a virus",
                "virus found",
                "infected with",
                "contains a virus",
                "malware detected",
            )
        ),
        R.POLICYVIOLATION: Phrases(
            contains=(
                # Mimecast: 554 Host network not allowed
                "host network not allowed",
                "an illegal attachment on your message",
                "because the recipient is not accepting mail with ",  # AOL
                "by non-member to a members-only list",
                "closed mailing list",
                "denied by policy",
                "email not accepted for policy reasons",
                "email rejected due to security policies",  # Mimecast
                "header are not accepted",
                "header error",
                "local policy violation",
                "message bounced due to organizational settings",
                "message given low priority",
                "message not accepted for policy reasons",
                "message rejected due to local policy",
                "messages with multiple addresses",
                "rejected for policy reasons",
                "protocol violation",
                "the email address used to send your message is not subscribed to this group",  # Google Groups
                "the message was rejected by organization policy",
                "this message was blocked because its content presents a potential",  # Gmail
                "we do not accept messages containing images or other attachments",
                "you have exceeded the allowable number of posts without solving a captcha",
                "you're using a mass mailer",
                "policy violation",
            )
        ),
        R.NORELAYING: Phrases(
            contains=(
                "as a relay",
                "is not permitted to relay through this server without authentication",
                "not an open relay, so get lost",
                "not local host",
                "this system is not configured to relay mail",
                "we don't handle mail for",
                "no relaying",
                "insecure mail relay",
                "mail server requires authentication when attempting to send to a non-local e-mail",
                "not allowed to relay through this machine",
                "relay access denied",
                "relay denied",
                "relay not permitted",
                "relaying denied",
                "that domain isn't in my list of allowed rcpthost",
                "unable to relay for",
                "relaying not allowed",
                "relaying is disabled",
                "relay not allowed",
                "we do not relay",
                "not permitted to relay",
                "relaying mail to",
                "not a gateway",
                "unable to relay",
            )
        ),
        R.AUTHFAILURE: Phrases(
            contains=(
                # Gmail: 550-5.7.26 Unauthenticated email from x is not accepted due to domain's DMARC policy
                "unauthenticated email from",
                "spf record with a hard fail",
                "multiple authentication checks failed",
                "//spf.pobox.com",
                "bad spf records for",
                "dmarc policy",
                "please inspect your spf settings",
                "sender policy framework (spf) fail",
                "spf (sender policy framework) domain authentication fail",
                "spf check: fail",
                "spf fail",
                "dkim",
                "dmarc",
                "is not allowed to send from",
                "not authorized to send on behalf of",
            ),
            pairs=(
                (" is not allowed to send mail.", "_401"),
                ("is not allowed to send from <", " per it's spf record"),
            ),
        ),
        R.BADREPUTATION: Phrases(
            contains=(
                "a poor email reputation score",
                "has been temporarily rate limited due to ip reputation",
                "ip/domain reputation problems",
                "likely suspicious due to the very low reputation",  # Gmail
                "the sending mta's poor reputation",
                "low reputation",
                "bad reputation",
                "sender reputation",
            )
        ),
        R.REQUIREPTR: Phrases(
            contains=(
                "access denied. ip name lookup failed",
                "all mail servers must have a ptr record with a valid reverse dns entry",
                "bad dns ptr resource record",
                "cannot find your hostname",
                "cannot resolve your address.",
                "client host rejected: cannot find your hostname",  # Yahoo
                "fix reverse dns for ",
                "ips with missing ptr records",
                "no ptr record found.",
                "please get a custom reverse dns name from your isp for your host",
                "ptr record setup",
                "reverse dns failed",
                "reverse dns required",
                "sender ip reverse lookup rejected",
                "the ip address sending this message does not have a ptr record setup",  # Gmail
                "the corresponding forward dns entry does not point to the sending ip",  # Gmail
                "this system will not accept messages from servers/devices with no reverse dns",
                "unresolvable relay host name",
                "we do not accept mail from hosts with dynamic ip or generic dns ptr-records",  # mail.ru
                "no ptr record",
                "reverse dns",
                "rdns",
            ),
            pairs=(
                ("domain ", " mismatches client ip"),
                ("dns lookup failure: ", " try again later"),
                ("reverse dns lookup for host ", " failed permanently"),
                ("server access ", " forbidden by invalid rdns record of your mail server"),
                ("service permits ", " unverifyable sending ips"),
            ),
        ),
        R.SECURITYERROR: Phrases(
            contains=(
                "account not subscribed to ses",
                "authentication credentials invalid",
                "authentication failure",
                "authentication required",
                "authentication turned on in your email client",
                "executable files are not allowed in compressed files",
                "insecure mail relay",
                "recipient address rejected: access denied",
                "sorry, you don't authenticate or the domain isn't in my list of allowed rcpthosts",
                "tls required but not supported",  # SendGrid
                "unauthenticated senders not allowed",
                "verification failure",
                "you are not authorized to send mail, authentication is required",
                "must issue a starttls command first",
                "encryption required",
                "starttls is required",
            ),
            pairs=(
                ("authentication failed; server ", " said: "),  # Postfix
                ("authentification requise", "402"),
                ("domain ", " is a dead domain"),
                ("user ", " is not authorized to perform ses:sendrawemail on resource"),  # Amazon SES
            ),
        ),
        R.SYSTEMERROR: Phrases(
            contains=(
                "aliasing/forwarding loop broken",
                "can't create user output file",
                "could not load drd for domain",
                "internal error reading data",  # Microsoft
                "internal server error: operation now in progress",  # Microsoft
                "interrupted system call",
                "it encountered an error while being processed",
                "it would create a mail loop",
                "local configuration error",
                "local error in processing",
                "loop was found in the mail exchanger",
                "loops back to myself",
                "mail system configuration error",
                "queue file write error",
                "recipient deferred because there is no mdb",
                "remote server is misconfigured",
                "server configuration error",
                "service currently unavailable",
                "system config error",
                "temporary local problem",
                "timeout waiting for input",
                "554 transaction failed",  # Hotmail's classic reply, often at the end of a line
                "internal error",
                "system error",
            )
        ),
        R.NETWORKERROR: Phrases(
            contains=(
                "could not connect and send the mail to",
                "dns records for the destination computer could not be found",
                "hop count exceeded - possible mail loop",
                "host is unreachable",
                "host not found, try again",
                "mail forwarding loop for ",
                "malformed name server reply",
                "malformed or unexpected name server reply",
                "maximum forwarding loop count exceeded",
                "message looping",
                "message probably in a routing loop",
                "no route to host",
                "too many hops",
                "unable to resolve route ",
                "unrouteable mail domain",
                "network is unreachable",
                "connection refused",
                "lost connection with",
                # OpenSMTPD
                "address family mismatch on destination mxs",
                "all routes to destination blocked",
                "bad dns lookup error code",
                "could not retrieve source address",
                "network error on destination mxs",
                "temporary failure in mx lookup",
                "exceeded maximum hop count",  # Courier
                "could not contact dns servers",
                "establish an smtp connection",
                "host name lookup failure",
                "listed as a best-preference mx",
                "no relevant answers",
            )
        ),
        R.EXPIRED: Phrases(
            contains=(
                "delivery attempts will continue to be",
                "failed to deliver to domain ",
                "have been failing for a long time",
                "message expired, connection refulsed",
                "unable to deliver message after multiple retries",
                "your message could not be delivered for more than",
                "connection timed out",
                "could not find a gateway for",
                "delivery time expired",
                "giving up on",
                "it has not been collected after",
                "message expired after sitting in queue for",
                "message timed out",
                "retry time not reached for any host after a long failure period",
                "server did not respond",
                "this message has been in the queue too long",
                "was not reachable within the allowed queue period",
                "delivery expired",
                "message expired",
                "retry timeout exceeded",
                "has been delayed",
                "could not be delivered for",
                "queue too long",
            )
        ),
        R.TOOMANYCONN: Phrases(
            contains=(
                # Tencent QQ: 550 Ip frequency limited
                "ip frequency limited",
                "all available ips are at maximum connection limit",  # SendGrid
                "connection rate limit exceeded",
                "exceeds per-domain connection limit for",
                "has exceeded the max emails per hour ",
                "throttling failure: daily message quota exceeded",  # SES
                "throttling failure: maximum sending rate exceeded",
                "too many connections",
                "too many concurrent smtp connections",  # Microsoft
                "too many errors from your ip",  # Free.fr
                "too many recipients",  # NTT docomo
                "too many smtp sessions for this host",  # Sendmail
                "trop de connexions, ",
                "we have already made numerous attempts to deliver this message",
            )
        ),
        R.SPEEDING: Phrases(
            contains=(
                # GoDaddy IB607: 550 5.1.1 <x> - 192.0.2.1 has sent to too many recipients this hour
                "sent to too many recipients this hour",
                "mail sent from your ip address has been temporarily rate limited",
                "please try again slower",
                "receiving mail at a rate that prevents additional messages from being delivered",  # Gmail
            )
        ),
        R.CONTENTERROR: Phrases(
            contains=(
                "this message contain invalid mime headers",
                "this message contain improperly-formatted binary content",
                "this message contain text that uses unnecessary base64 encoding",
                "header size exceeds maximum permitted",
                "improper use of 8-bit data in message header",
                "message header size, or recipient list, exceeds policy limit",
                "message mime complexity exceeds the policy maximum",
                "routing loop detected -- too many received: headers",
                "this message contains invalid mime headers",
                "this message contains improperly-formatted binary content",
                "this message contains text that uses unnecessary base64 encoding",
                "message header too long",
                "invalid mime",
            )
        ),
        R.SYSTEMFULL: Phrases(
            contains=(
                # Sendmail: 452 4.4.5 Insufficient disk space; try again later
                "insufficient disk space",
                "mail system full",
                "requested mail action aborted: exceeded storage allocation",
                "insufficient system storage",
                "out of disk space",
                "too many messages in queue",
            )
        ),
        R.NOTACCEPT: Phrases(
            contains=(
                "mail receiving disabled",
                "no route for current request",
                "host/domain does not accept mail",  # iCloud
                "host does not accept mail",  # Sendmail
                "name server: .: host not found",  # Sendmail
                "no mx record found for domain=",  # Yahoo (Oath)
                "smtp protocol returned a permanent error",
                "null mx",
                "does not accept mail",
                "destination seem to reject all mails",  # OpenSMTPD
                "mx or srv record indicated no smtp ",  # Exim
                "no host found for existing smtp ",  # Exim
            ),
            pairs=(("no mx ", "found for "),),  # OpenSMTPD: "No MX found for domain"
        ),
        R.MAILERERROR: Phrases(
            contains=(
                "x-unix; ",
                "command died with status",
                "command failed: ",
                "exit code ",
                "procmail: ",
                "bin/procmail",
                "mailer error",
                "unknown mailer error",
                "pipe to |/",
                "local delivery failed",
                "command output:",
            ),
            # "procmail: ...", "command died with status 1", "exit 75", "X-Unix; 255"
            regex=re.compile(
                r"^procmail: |bin/(?:procmail|maildrop)|command died with status \d+|\bexit \d+|x-unix; \d+"
            ),
        ),
        R.NOTCOMPLIANTRFC: Phrases(
            contains=(
                # Gmail: 550-5.7.1 Messages with multiple addresses in From: header are not accepted
                "messages with multiple addresses in from:",
                "this message is not rfc 5322 compliant",
                "https://support.google.com/mail/?p=rfcmessagenoncompliant",
                "duplicate header",
                "multiple from addresses",
                "not rfc 5322 compliant",
                "rfc 5322",
            )
        ),
        R.VACATION: Phrases(
            contains=(
                "i am away on vacation",
                "i am away until",
                "i am out of the office",
                "i will be traveling for work on",
            )
        ),
    }
)

# Recipient-unknown phrases so specific that they settle "userunknown" whatever the SMTP command:
# providers that accept RCPT TO and refuse the unknown user only after DATA.
USERUNKNOWN_AT_ANY_COMMAND = Phrases(
    contains=(
        "delivery error: dd this user doesn't have a",  # Yahoo: 554 delivery error: dd This user doesn't have a ...
        "adresse destinataire invalide. invalid recipient.",  # La Poste / Orange: 550 5.5.0 ... LPN007_416
        "recipient not found by smtp address lookup",  # Exchange Online: 550 5.1.10, also after DATA
        "unknown e-mail address",  # 553 5.3.0 <x@example.org>... Unknown E-Mail Address
    )
)
