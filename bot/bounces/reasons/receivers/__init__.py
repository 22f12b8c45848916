"""Big receivers' documented replies, one module per provider; `receiver_for` picks the one a bounce concerns.

Called by `bot.bounces.reasons.classify` before the generic tables. The choice follows Sisimai's
lib/sisimai/rhost.rb: the recipient's domain first, then the host that refused (remote MTA), then
the host that wrote the bounce (reporting MTA). Most bounces concern none of these: one suffix
test settles that before any receiver is asked.
"""

from __future__ import annotations

from bot.bounces.reasons.receivers import (
    apple,
    cloudflare,
    cox,
    facebook,
    franceptt,
    godaddy,
    google,
    iua,
    kddi,
    mailru,
    messagelabs,
    microsoft,
    mimecast,
    nttdocomo,
    spectrum,
    tencent,
    yahoo,
    zoho,
)
from bot.bounces.reasons.receivers.base import Codes, Receiver, Rule

__all__ = ["RECEIVERS", "Codes", "Receiver", "Rule", "receiver_for"]

RECEIVERS: tuple[Receiver, ...] = (
    google.RECEIVER,
    microsoft.RECEIVER,
    yahoo.RECEIVER,
    yahoo.AOL,
    apple.RECEIVER,
    cox.RECEIVER,
    spectrum.RECEIVER,
    godaddy.RECEIVER,
    mimecast.RECEIVER,
    messagelabs.RECEIVER,
    facebook.RECEIVER,
    tencent.RECEIVER,
    kddi.RECEIVER,
    nttdocomo.RECEIVER,
    iua.RECEIVER,
    mailru.RECEIVER,
    franceptt.RECEIVER,
    cloudflare.RECEIVER,
    zoho.RECEIVER,
)

_HOSTS = tuple(host for receiver in RECEIVERS for host in receiver.hosts)
_DOMAINS = frozenset(domain for receiver in RECEIVERS for domain in receiver.domains)


def receiver_for(*, recipient: str | None, remote_mta: str | None, reporting_mta: str | None) -> Receiver | None:
    """The receiver whose documented replies explain this failure, or None."""
    domain = (recipient or "").rpartition("@")[2].lower()
    if domain in _DOMAINS:
        return next(r for r in RECEIVERS if r.serves_domain(domain))
    for host in (remote_mta, reporting_mta):
        name = (host or "").lower().rstrip(".")
        if name.endswith(_HOSTS):
            found = next((r for r in RECEIVERS if r.serves_host(name)), None)
            if found is not None:
                return found
    return None
