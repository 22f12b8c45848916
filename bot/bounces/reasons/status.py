"""The reason an RFC 3463 enhanced status code names by itself; data only, read by `bot.bounces.reasons`."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.models import Reason

R = Reason

# RFC 3463 enhanced status codes → reason (Sisimai's lib/sisimai/smtp/status.rb; the SPF, DKIM and
# DMARC codes 5.7.20-26 are authfailure and 5.7.27, the sender's null MX, notaccept, as in Sisimai 5).
STATUS_REASONS: Mapping[str, Reason] = MappingProxyType(
    {
        "4.1.6": R.HASMOVED,
        "4.1.7": R.REJECTED,
        "4.1.8": R.REJECTED,
        "4.1.9": R.SYSTEMERROR,
        "4.2.1": R.SUSPEND,
        "4.2.2": R.MAILBOXFULL,
        "4.2.3": R.EXCEEDLIMIT,
        "4.2.4": R.FILTERED,
        "4.3.1": R.SYSTEMFULL,
        "4.3.2": R.NOTACCEPT,
        "4.3.3": R.SYSTEMERROR,
        "4.3.5": R.SYSTEMERROR,
        "4.4.1": R.EXPIRED,
        "4.4.2": R.NETWORKERROR,
        "4.4.3": R.SYSTEMERROR,  # directory server failure
        "4.4.4": R.NETWORKERROR,
        "4.4.5": R.SYSTEMFULL,  # mail system congestion
        "4.4.6": R.NETWORKERROR,
        "4.4.7": R.EXPIRED,
        "4.4.8": R.NETWORKERROR,  # retry on IPv4
        "4.5.3": R.SYSTEMERROR,
        "4.5.5": R.SYSTEMERROR,
        "4.6.0": R.CONTENTERROR,
        "4.6.2": R.CONTENTERROR,
        "4.6.5": R.CONTENTERROR,
        "4.7.1": R.BLOCKED,
        "4.7.2": R.BLOCKED,
        "4.7.5": R.SECURITYERROR,
        "4.7.6": R.SECURITYERROR,
        "4.7.7": R.SECURITYERROR,
        "4.7.12": R.SECURITYERROR,
        "4.7.15": R.SECURITYERROR,
        "4.7.16": R.MESGTOOBIG,
        "4.7.24": R.AUTHFAILURE,
        "4.7.25": R.REQUIREPTR,
        "4.7.26": R.AUTHFAILURE,  # must pass either SPF or DKIM
        "5.1.0": R.USERUNKNOWN,
        "5.1.1": R.USERUNKNOWN,
        "5.1.2": R.HOSTUNKNOWN,
        "5.1.3": R.USERUNKNOWN,
        "5.1.4": R.FILTERED,
        "5.1.6": R.HASMOVED,
        "5.1.7": R.REJECTED,
        "5.1.8": R.REJECTED,
        "5.1.9": R.SYSTEMERROR,
        "5.1.10": R.NOTACCEPT,
        "5.2.0": R.FILTERED,
        "5.2.1": R.FILTERED,
        "5.2.2": R.MAILBOXFULL,
        "5.2.3": R.EXCEEDLIMIT,
        "5.2.4": R.FILTERED,
        "5.3.0": R.SYSTEMERROR,
        "5.3.1": R.SYSTEMFULL,
        "5.3.2": R.NOTACCEPT,
        "5.3.3": R.SYSTEMERROR,
        "5.3.4": R.MESGTOOBIG,
        "5.3.5": R.SYSTEMERROR,
        "5.4.0": R.NETWORKERROR,
        "5.4.4": R.HOSTUNKNOWN,  # unable to route: Sisimai's mapping ("550 5.4.4 Invalid domain")
        "5.4.3": R.SYSTEMERROR,
        "5.5.2": R.SYNTAXERROR,  # the server cannot BASE64-decode an AUTH response
        "5.5.3": R.TOOMANYCONN,
        "5.5.4": R.SYSTEMERROR,
        "5.5.5": R.SYSTEMERROR,
        "5.5.6": R.SYNTAXERROR,  # AUTH exchange line too long
        "5.6.0": R.CONTENTERROR,
        "5.6.1": R.CONTENTERROR,
        "5.6.2": R.CONTENTERROR,
        "5.6.3": R.CONTENTERROR,
        "5.6.5": R.CONTENTERROR,
        "5.6.6": R.CONTENTERROR,
        "5.6.7": R.CONTENTERROR,
        "5.6.8": R.CONTENTERROR,
        "5.6.9": R.CONTENTERROR,
        "5.7.0": R.SECURITYERROR,
        "5.7.1": R.SECURITYERROR,
        "5.7.2": R.SECURITYERROR,
        "5.7.3": R.SECURITYERROR,
        "5.7.4": R.SECURITYERROR,
        "5.7.5": R.SECURITYERROR,
        "5.7.6": R.SECURITYERROR,
        "5.7.7": R.SECURITYERROR,
        "5.7.8": R.SECURITYERROR,
        "5.7.9": R.SECURITYERROR,
        "5.7.10": R.SECURITYERROR,
        "5.7.11": R.SECURITYERROR,
        "5.7.13": R.SUSPEND,
        "5.7.14": R.SECURITYERROR,
        "5.7.15": R.SECURITYERROR,
        "5.7.16": R.MESGTOOBIG,
        "5.7.17": R.HASMOVED,
        "5.7.18": R.HASMOVED,
        "5.7.19": R.SECURITYERROR,
        "5.7.20": R.AUTHFAILURE,
        "5.7.21": R.AUTHFAILURE,
        "5.7.22": R.AUTHFAILURE,
        "5.7.23": R.AUTHFAILURE,
        "5.7.24": R.AUTHFAILURE,
        "5.7.25": R.REQUIREPTR,
        "5.7.26": R.AUTHFAILURE,
        "5.7.27": R.NOTACCEPT,
    }
)
