"""The reason tables: the phrases servers write, per Sisimai reason.

One module per reason, named as the reason is (as Sisimai's lib/sisimai/reason/*.rb);
the data only, read by `bot.bounces.reasons` (the status codes' table is `status`). Phrases are lower
case and matched as substrings of the diagnostic (also lower-cased); a pair matches when both
halves occur in that order. Entries that only one MTA or provider writes carry a comment naming
it. The lists start from Sisimai's lib/sisimai/reason/*.rb (BSD-2, © azumakuniyuki) and grow with
what we meet.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.bounces.reasons.phrases import (
    authfailure,
    badreputation,
    blocked,
    contenterror,
    exceedlimit,
    expired,
    filtered,
    hasmoved,
    hostunknown,
    mailboxfull,
    mailererror,
    mesgtoobig,
    networkerror,
    norelaying,
    notaccept,
    notcompliantrfc,
    policyviolation,
    rejected,
    requireptr,
    securityerror,
    spamdetected,
    speeding,
    suspend,
    systemerror,
    systemfull,
    toomanyconn,
    userunknown,
    vacation,
    virusdetected,
)
from bot.bounces.reasons.phrases.base import Phrases
from bot.models import Reason

__all__ = ["PHRASES", "USERUNKNOWN_AT_ANY_COMMAND", "Phrases"]

# The order is the order reasons are tried in when phrases alone decide.
PHRASES: Mapping[Reason, Phrases] = MappingProxyType(
    {
        Reason.USERUNKNOWN: userunknown.PHRASES,
        Reason.HOSTUNKNOWN: hostunknown.PHRASES,
        Reason.HASMOVED: hasmoved.PHRASES,
        Reason.MAILBOXFULL: mailboxfull.PHRASES,
        Reason.EXCEEDLIMIT: exceedlimit.PHRASES,
        Reason.MESGTOOBIG: mesgtoobig.PHRASES,
        Reason.SUSPEND: suspend.PHRASES,
        Reason.FILTERED: filtered.PHRASES,
        Reason.REJECTED: rejected.PHRASES,
        Reason.BLOCKED: blocked.PHRASES,
        Reason.SPAMDETECTED: spamdetected.PHRASES,
        Reason.VIRUSDETECTED: virusdetected.PHRASES,
        Reason.POLICYVIOLATION: policyviolation.PHRASES,
        Reason.NORELAYING: norelaying.PHRASES,
        Reason.AUTHFAILURE: authfailure.PHRASES,
        Reason.BADREPUTATION: badreputation.PHRASES,
        Reason.REQUIREPTR: requireptr.PHRASES,
        Reason.SECURITYERROR: securityerror.PHRASES,
        Reason.SYSTEMERROR: systemerror.PHRASES,
        Reason.NETWORKERROR: networkerror.PHRASES,
        Reason.EXPIRED: expired.PHRASES,
        Reason.TOOMANYCONN: toomanyconn.PHRASES,
        Reason.SPEEDING: speeding.PHRASES,
        Reason.CONTENTERROR: contenterror.PHRASES,
        Reason.SYSTEMFULL: systemfull.PHRASES,
        Reason.NOTACCEPT: notaccept.PHRASES,
        Reason.MAILERERROR: mailererror.PHRASES,
        Reason.NOTCOMPLIANTRFC: notcompliantrfc.PHRASES,
        Reason.VACATION: vacation.PHRASES,
    }
)

USERUNKNOWN_AT_ANY_COMMAND = userunknown.AT_ANY_COMMAND
