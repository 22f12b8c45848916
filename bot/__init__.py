"""bouncecheck: watch postmaster mailboxes for bounce floods, tell the cause, alert in Slack."""

__version__ = "0.1.0"
