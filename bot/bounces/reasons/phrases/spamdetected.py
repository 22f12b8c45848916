"""The phrases that name `spamdetected`."""

from __future__ import annotations

import re

from bot.bounces.reasons.phrases.base import Phrases

PHRASES = Phrases(
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
)
