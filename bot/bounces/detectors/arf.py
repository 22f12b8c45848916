"""Abuse feedback reports (ARF, RFC 5965): a complaint, reported with kind `feedback`.

The complained-about recipient is `Original-Rcpt-To` when the provider gives it, else the To of
the returned original. Microsoft's JMRP reports (no feedback-report part) are read here too.
"""

from __future__ import annotations

from bot.bounces.detectors.base import Extraction, RecipientFacts
from bot.bounces.detectors.rfc3464 import dsn_address, dsn_host
from bot.bounces.message import MessageView, first_address, parse_header_block
from bot.models import Kind, Reason


class ARF:
    name = "arf"

    def detect(self, message: MessageView) -> Extraction | None:
        report = message.feedback_report
        if report is None and message.original is not None and "x-hmxmroriginalrecipient" in message.original:
            return _jmrp(message.original.get("x-hmxmroriginalrecipient"))
        if report is None:
            # Fields pasted as text under a multipart/report; report-type=feedback-report
            if message.report_type != "feedback-report" and "Feedback-Type:" not in message.body:
                return None
            start = message.body.find("Feedback-Type:")
            report = parse_header_block(message.body[start:]) if start >= 0 else None
            if report is None or "feedback-type" not in report:
                return None
        recipients: list[str] = [dsn_address(v) for v in report.get_all("original-rcpt-to")]
        if not any(recipients) and message.original is not None:
            recipients = [first_address(message.original.get("to"))]
        feedback_type = report.get("feedback-type").lower() or "abuse"
        facts = tuple(
            RecipientFacts(recipient=r, diagnostic=f"feedback-type: {feedback_type}", reason=Reason.FEEDBACK)
            for r in dict.fromkeys(r for r in recipients if r) or [""]
        )
        reporter = dsn_host(report.get("reporting-mta")) or None
        return Extraction(mta=self.name, kind=Kind.FEEDBACK, recipients=facts, reporting_mta=reporter)


def _jmrp(recipient: str) -> Extraction:
    # Microsoft JMRP (Outlook.com/Hotmail) complaints are not ARF: a multipart/mixed with the
    # complained-about message attached, its recipient in "X-HmXmrOriginalRecipient: <address>".
    address = first_address(recipient)
    fact = RecipientFacts(recipient=address, diagnostic="feedback-type: abuse", reason=Reason.FEEDBACK)
    return Extraction(mta="arf", kind=Kind.FEEDBACK, recipients=(fact,))


DETECTOR = ARF()
