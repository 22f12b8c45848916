"""bouncecheck's one error tree; third-party errors are mapped into it where they enter.

    BounceCheckError                 base: every error a user may see, with a one-line message
    ├── ConfigError                  bad or missing config key, bad environment variable (exit 2)
    ├── UsageError                   bad command-line input, bad /bouncecheck text (exit 2)
    ├── SourceError                  a mailbox cannot be read
    │   ├── MailboxAuthError         login refused (wrong password, expired token)
    │   ├── MailboxTLSError          certificate not trusted, TLS handshake failed
    │   └── MailboxUnavailable       connection refused, dropped, timed out (retried)
    ├── StoreError                   the database refused or is unreachable
    │   └── ReadMeanwhile            another instance read a volume source first (bot/store/volume_store.py)
    ├── DNSError                     the resolver failed as a whole (not one zone)
    ├── VolumeError                  a sent-volume source cannot be read (bot/volume)
    └── NotifyError                  Slack refused or is unreachable (the outbox retries)

`ParseError` does not exist on purpose: `parse()` never raises on bad mail, it returns a report.
"""

from __future__ import annotations


class BounceCheckError(Exception):
    """Base of every error bouncecheck raises on purpose; str() is a sentence for the user."""


class ConfigError(BounceCheckError):
    pass


class UsageError(BounceCheckError):
    pass


class VolumeError(BounceCheckError):
    """A sent-volume source could not be read (unreachable, refused, unreadable)."""


class SourceError(BounceCheckError):
    pass


class MailboxAuthError(SourceError):
    pass


class MailboxTLSError(SourceError):
    pass


class MailboxUnavailable(SourceError):
    pass


class StoreError(BounceCheckError):
    pass


class DNSError(BounceCheckError):
    pass


class NotifyError(BounceCheckError):
    pass
