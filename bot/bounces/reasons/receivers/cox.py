"""Cox's documented replies (cox.com/business/support/email-error-codes.html), via Sisimai's rhost/cox.rb."""

from __future__ import annotations

import re
from types import MappingProxyType

from bot.bounces.reasons.receivers.base import Codes, Receiver, rules
from bot.models import Reason

R = Reason

_IP_LISTED = ("ipbl0001", "ipbl0010", "ipbl0100", "ipbl0011", "ipbl0101", "ipbl0110", "ipbl0111", "ipbl1000",
              "ipbl1001", "ipbl1010", "ipbl1011", "ipbl1100", "ipbl1101", "ipbl1110", "ipbl1111", "ipbl00001")
_URL_LISTED = ("urlbl011", "urlbl101", "urlbl110", "urlbl1001")

RECEIVER = Receiver(
    name="cox",
    hosts=("cox.net",),
    domains=("cox.net",),
    # 554 5.7.1 ... AUP#CXBL: the label names the reason
    codes=Codes(
        pattern=re.compile(r"aup#([0-9a-z]+)"),
        table=MappingProxyType({
            "cxbl": R.BLOCKED,  # the sending IP shows spam-like behaviour
            "cxdns": R.REQUIREPTR,  # rDNS of the sending IP fails
            "cxsndr": R.AUTHFAILURE,  # SPF, DomainKeys or DKIM of the sending domain failed
            "cxsmtp": R.REJECTED,  # SMTP violation: could not verify a legitimate sender
            "cxcnct": R.TOOMANYCONN,  # over 10 concurrent connections
            "cxmxrt": R.TOOMANYCONN,  # too many recipients
            "cdrbl": R.BLOCKED,  # temporary block for spam-like behaviour
            "cxthrt": R.SECURITYERROR,  # suspicious account activity
            "cxmj": R.SECURITYERROR,
            **dict.fromkeys(_IP_LISTED, R.BLOCKED),  # listed on Spamhaus, Return Path, ivmSIP, Cloudmark CSI
            **dict.fromkeys(_URL_LISTED, R.SPAMDETECTED),  # a URL in the body is on SURBL, DBL or ivmURI
        }),
    ),
    rules=rules(
        (R.BLOCKED, ("cox too many bad commands from", "too many invalid recipients")),
        (R.REQUIREPTR, ("dns check failure - try again later", "rejected - no rdns")),
        (R.POLICYVIOLATION, ("esmtp no data before greeting", "attachment extension is forbidden")),
        (R.REJECTED, ("sender rejected",)),
        (R.SYSTEMERROR, ("esmtp server temporarily not available",)),
        (R.TOOMANYCONN, ("too many sessions from", "requested action aborted: try again later",
                         "message threshold exceeded")),
        # 550 5.1.1 <x@cox.net> recipient rejected: not a valid Cox Email account
        (R.USERUNKNOWN, ("recipient rejected",)),
    ),
)
