"""Microsoft Exchange NDRs without a DSN part: Exchange 5.5/2000/2003 (MSEXCH codes) and the
Exchange 2007+/Office 365/Outlook.com text ("Delivery has failed to these recipients or groups");
used by the registry. NDRs with a `message/delivery-status` part are read by `rfc3464` first.
"""

from __future__ import annotations

import re

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.plaintext import after, bare_address, cut, facts_from_block, recipient_blocks, sender_domain
from bot.bounces.message import MessageView
from bot.models import Reason

# "did not reach the following recipient(s):" (Exchange 5.5/2000/2003)
# "The following recipient(s) could not be reached:" (Exchange 4.0 Internet Mail Connector)
LEGACY_STARTS = ("did not reach the following recipient(s):", "The following recipient(s) could not be reached:")
# "kijitora@example.co.jp on Thu, 29 Apr 2007 16:51:51 -0500", "      kijitora@example.com on 4/29/01 11:34:45 PM"
# What ^\s*(?:.*SMTP=)?(?P<addr>[^\s@]+@[^\s]+) on\s reads (the address after the last "SMTP=" it can
# follow, else the line's first word), without reading the rest of the word again for each "SMTP="
# (0.27 s on 20 KB of them) nor for each leading space: a word is tried only if " on" follows it, and
# an "SMTP=" is passed over once a later one in the same word reaches the same "@".
LEGACY_RECIPIENT = re.compile(r"^\s*+(?:(?:[^\n]*[^\S\n])?(?=\S++ on\s)\S*SMTP=(?=(?:[^\s@S]|S(?!MTP=[^\s@]))++@\S))?"
                              r"(?P<addr>[^\s@]+@\S+) on\s")
# "    MSEXCH:IMS:KIJITORA CAT:EXAMPLE:EXCHANGE 0 (000C05A6) Unknown Recipient"
MSEXCH = re.compile(r"MSEXCH:\S*.*?\(([0-9A-F]{8})\)")
# "	The MTS-ID of the original message is: c=jp;a= ;p=neko" / ";l=EXCHANGE000000000000000000"
MTS_ID = re.compile(r"^\s*(?:The MTS-ID of the original message is:|;l=)")
# Exchange's own error codes (MSEXCH:IMS), Sisimai's Exchange2003 table.
MSEXCH_CODES: dict[str, Reason] = {
    "000C05A6": Reason.USERUNKNOWN,  # Unknown Recipient
    "000C0595": Reason.FILTERED,  # Ambiguous Recipient
    "00010256": Reason.SYSTEMERROR,  # Too many recipients
    "000D06B5": Reason.SYSTEMERROR,  # No proxy for recipient
    "00120270": Reason.NETWORKERROR,  # Too Many Hops
    "00050311": Reason.CONTENTERROR,  # Conversion to Internet format failed
    "000502CC": Reason.CONTENTERROR,  # Conversion to Internet format failed
    "000B0981": Reason.SECURITYERROR,  # 502 Server does not support AUTH
    "000B099C": Reason.ONHOLD,  # Host Unknown, Message exceeds size limit, ...
    "000B09AA": Reason.ONHOLD,  # Unable to relay for, Message exceeds size limit, ...
    "000B09B6": Reason.ONHOLD,  # Error messages by remote MTA
}

# "Diagnostic information for administrators:" (en) / "Informations de diagnostic pour les
# administrateurs :" (fr) opens the part every Exchange 2007+ NDR writes the same way
DIAGNOSTIC = re.compile(r"^(?:Diagnostic information for administrators|"
                        r"Informations de diagnostic pour les administrateurs)\s*:", re.M)
# "Original message headers:" / "En-têtes de message d'origine :"
MODERN_BOUNDARIES = ("Original message headers:", "Original Message Headers", "En-têtes de message d'origine")
# "kijitora@example.com<mailto:kijitora@example.com>", "kijitora@example.com", "Kijitora (kijitora@example.com)"
MODERN_RECIPIENT = re.compile(r"^\s*(?:[^@\s]+ \()?(?P<addr>[^\s@<>()]+@[^\s<>()]+?)(?:<mailto:[^>]*>|\))?\s*$")
# "Generating server: BN1PR01MB001.prod.exchangelabs.com" / "Serveur de génération : ..."
GENERATING = re.compile(r"(?:Generating server|Serveur de g\S+ration)\s?: ?([\w.-]+\w)")
# "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found'"
# "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##"
# "Remote Server at mx.example.org (192.0.2.1) returned '550 4.4.7 QUEUE.Expired; message expired'"
REMOTE_WORDS = re.compile(r"returned '([^']*)'|#([245]\d\d [245]\.\d+\.\d+ [^#]*)##?")
# "550 5.1.10 RESOLVER.ADR.RecipientNotFound; ...", "RESOLVER.ADR.ExRecipNotFound": the recipient lookup
RESOLVER = re.compile(r"\bRESOLVER\.ADR\.")
REMOTE_AT = re.compile(r"Remote Server at ([\w.-]+\w)")
# Exchange's own NDR codes ("550 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain")
NDR_CODES: dict[str, Reason] = {
    "SMTPSEND.DNS.NonExistentDomain": Reason.HOSTUNKNOWN,
    "SMTPSEND.DNS.MxLoopback": Reason.NETWORKERROR,
    "RESOLVER.ADR.BadPrimary": Reason.SYSTEMERROR,
    "RESOLVER.ADR.RecipNotFound": Reason.USERUNKNOWN,
    "RESOLVER.ADR.ExRecipNotFound": Reason.USERUNKNOWN,
    "RESOLVER.ADR.RecipientNotFound": Reason.USERUNKNOWN,
    "RESOLVER.ADR.RecipLimit": Reason.TOOMANYCONN,
    "RESOLVER.ADR.InvalidInSmtp": Reason.SYSTEMERROR,
    "RESOLVER.ADR.Ambiguous": Reason.SYSTEMERROR,
    "RESOLVER.RST.AuthRequired": Reason.SECURITYERROR,
    "RESOLVER.RST.NotAuthorized": Reason.REJECTED,
    "RESOLVER.RST.RecipSizeLimit": Reason.MESGTOOBIG,
    "QUEUE.Expired": Reason.EXPIRED,
}
NDR_CODE = re.compile(r"\b((?:RESOLVER|QUEUE|SMTPSEND)\.[A-Za-z]+(?:\.\w+)?);")


class Exchange:
    name = "exchange"

    def detect(self, message: MessageView) -> Extraction | None:
        legacy = after(message.text, LEGACY_STARTS)
        if legacy is not None:
            return self._legacy(message, legacy)
        if DIAGNOSTIC.search(message.text) is not None:
            return self._modern(message, cut(message.text, MODERN_BOUNDARIES))
        return None

    def _legacy(self, message: MessageView, section: str) -> Extraction | None:
        recipients: list[RecipientFacts] = []
        for block in recipient_blocks(section.split("\n"), LEGACY_RECIPIENT, skip=MTS_ID):
            # "kijitora@example.co.jp on Thu, 29 Apr 2007 16:51:51 -0500": the date is not diagnostic
            text = " ".join(block.lines[1:])
            code = MSEXCH.search(text)
            recipients.append(facts_from_block(block.recipient, text,
                                               reason=MSEXCH_CODES.get(code.group(1)) if code else None))
        if not recipients:
            return None
        return Extraction(mta=self.name, recipients=tuple(recipients), reporting_mta=sender_domain(message))

    def _modern(self, message: MessageView, section: str) -> Extraction | None:
        marker = DIAGNOSTIC.search(section)
        if marker is None:
            return None
        # "Delivery has failed to these recipients or groups:" / "kijitora@example.org<mailto:...>" above it
        listed = [a for a in (bare_address(line) for line in section[: marker.start()].split("\n")
                              if MODERN_RECIPIENT.match(line)) if a]
        diagnostic = section[marker.end():]
        blocks = {b.recipient: b.text for b in recipient_blocks(diagnostic.split("\n"), MODERN_RECIPIENT)
                  if b.recipient}
        addresses = list(dict.fromkeys(listed or list(blocks)))
        if not addresses:
            return None
        generating = GENERATING.search(diagnostic)
        recipients = []
        for address in addresses:
            text = blocks.get(address) or " ".join(blocks.values()) or diagnostic
            said = REMOTE_WORDS.search(text)
            words = (said.group(1) or said.group(2)).strip() if said else text
            remote = REMOTE_AT.search(text)
            code = NDR_CODE.search(words)
            recipients.append(facts_from_block(address, words, remote_mta=remote.group(1).lower() if remote else None,
                                               command="RCPT" if RESOLVER.search(words) else None,
                                               reason=NDR_CODES.get(code.group(1)) if code else None))
        return Extraction(mta=self.name, recipients=tuple(recipients),
                          reporting_mta=generating.group(1).lower() if generating else None)


DETECTOR = Exchange()
