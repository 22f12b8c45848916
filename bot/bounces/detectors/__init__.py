"""The ordered detector registry: `parse` asks each in turn and keeps the first hit.

Order matters: the standard formats first (ARF, RFC 3464), then the MTA- and provider-specific
plain-text formats, generic heuristics last. Each entry satisfies `base.Detector`. A few MTA
detectors sit before RFC 3464 because their text says more than their DSN part; each one returns
None unless its own layout is there, and its line below says what it adds.
"""

from __future__ import annotations

from bot.bounces.detectors import (
    activehunter,
    amavis,
    amazonses,
    aol,
    apachejames,
    arf,
    barracuda,
    bigfoot,
    biglobe,
    courier,
    deutschetelekom,
    dma,
    domino,
    exchange,
    exim,
    facebook,
    fml,
    generic,
    gmail,
    gmx,
    googlegroups,
    googleworkspace,
    groupwise,
    imail,
    interscan,
    japanese_carrier,
    mailfoundry,
    mailgun,
    mailmarshal,
    mailru,
    mcafee,
    mdaemon,
    messagelabs,
    messagingserver,
    mfilter,
    mimecast,
    mxlogic,
    netscape,
    notice,
    opensmtpd,
    postfix,
    powermta,
    qmail,
    rfc3464,
    salesforce,
    sendgrid,
    sendmail,
    surfcontrol,
    v5sendmail,
    verizon,
    x_bullets,
    x_failed_addresses,
    x_qmail_clone,
    x_rejected_recipient,
    x_sending_error,
    yahoo,
    zoho,
)
from bot.bounces.detectors.base import Detector, Extraction, RecipientFacts

DETECTORS: tuple[Detector, ...] = (
    arf.DETECTOR,
    # MTAs whose human text says more than their RFC 3464 part (detectors engineer):
    opensmtpd.DETECTOR,  # DSN without Diagnostic-Code; the text has the server's reply
    mailru.DETECTOR,  # Exim's layout under a Russian preamble: before exim
    gmx.DETECTOR,  # Exim-built, its own layout: before exim
    mxlogic.DETECTOR,  # Exim's layout from MX Logic's relays (its X-MXL headers): before exim
    exim.DETECTOR,  # the text names the SMTP command and the host; the DSN adds only Status
    bigfoot.DETECTOR,  # Sendmail's layout from bigfoot.com: before sendmail's DSN reader
    sendmail.WITH_DSN,  # the DSN completed from the transcript ("<<< 421", "554 5.3.0 ...")
    mcafee.DETECTOR,  # a DSN without Diagnostic-Code; the text part has the words
    facebook.DETECTOR,  # its DSN fields, the reason from Facebook's own code ("RCP-P2")
    powermta.DETECTOR,  # its DSN, the reason from its X-PowerMTA-BounceCategory field
    amavis.DETECTOR,  # its DSN, relabelled (From "Content-filter at ...")
    rfc3464.DETECTOR,
    # MTA formats (detectors engineer): append below, one module per format.
    # Providers whose layout borrows an MTA's come before that MTA's detector.
    amazonses.DETECTOR,
    googlegroups.DETECTOR,
    gmail.DETECTOR,
    googleworkspace.DETECTOR,  # no list of recipients, only the original's To: after gmail
    yahoo.DETECTOR,
    zoho.DETECTOR,
    japanese_carrier.DETECTOR,
    biglobe.DETECTOR,
    qmail.DETECTOR,
    postfix.DETECTOR,
    exchange.DETECTOR,
    domino.DETECTOR,
    dma.DETECTOR,
    courier.DETECTOR,
    apachejames.DETECTOR,
    activehunter.DETECTOR,
    mimecast.DETECTOR,
    # email service providers' human notices, when their relays attached no DSN part
    sendgrid.DETECTOR,
    mailgun.DETECTOR,
    # mail gateways and appliance MTAs; Barracuda's and MessageLabs' notice only when the DSN part is missing
    interscan.DETECTOR,
    mailfoundry.DETECTOR,
    mfilter.DETECTOR,
    mailmarshal.DETECTOR,
    surfcontrol.DETECTOR,
    imail.DETECTOR,
    barracuda.DETECTOR,
    messagelabs.DETECTOR,
    messagingserver.DETECTOR,
    netscape.DETECTOR,  # its heir's notices are messagingserver's
    verizon.DETECTOR,
    fml.DETECTOR,
    mdaemon.DETECTOR,
    groupwise.DETECTOR,
    aol.DETECTOR,
    salesforce.DETECTOR,
    deutschetelekom.DETECTOR,  # Smail's banners from T-Online's servers: before x_failed_addresses
    # unnamed MTAs known by their layout alone (Sisimai's X-family)
    x_qmail_clone.DETECTOR,
    x_bullets.DETECTOR,
    x_rejected_recipient.DETECTOR,
    x_sending_error.DETECTOR,
    x_failed_addresses.DETECTOR,
    v5sendmail.DETECTOR,  # its transcript alone, one line per recipient: before sendmail's list reader
    sendmail.DETECTOR,
    generic.DETECTOR,  # last resorts: a bounce by its envelope, recipients from its headers
    notice.DETECTOR,  # then any daemon's notice with failure wording and listed addresses
)

__all__ = ["DETECTORS", "Detector", "Extraction", "RecipientFacts"]
