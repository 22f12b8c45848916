"""Orange and La Poste's documented replies (the OFR/LPN error labels), via Sisimai's rhost/franceptt.rb."""

from __future__ import annotations

import re
from types import MappingProxyType

from bot.bounces.reasons.receivers.base import Codes, Receiver, rules
from bot.models import Reason

R = Reason

RECEIVER = Receiver(
    name="franceptt",
    hosts=("laposte.net", "orange.fr"),
    # "Too many connections, slow down. OFR005_104 [104]", "LPN105-104", "OUK_513": the last three
    # digits name the reason. Labels Orange documents as vague ("Veuillez essayer plus tard", 105,
    # 107-109, 201, 423, 424, 513) are left out: the generic tables read those words.
    codes=Codes(
        pattern=re.compile(r"\b(?:lpn|lpnaaa|ofr|ouk)(?:_|\d{3}[-_])(\d{3})\b"),
        table=MappingProxyType({
            "101": R.BLOCKED,  # the sending IP is on Spamhaus
            "102": R.BLOCKED,  # source IP blocked for spamming (Cloudmark, Sender Score)
            "103": R.BLOCKED,  # service refused, please try later
            "104": R.TOOMANYCONN,  # too many connections, slow down
            "305": R.SECURITYERROR,  # code d'authentification invalide
            "401": R.AUTHFAILURE,  # SPF: x is not allowed to send mail
            "402": R.SECURITYERROR,  # authentification requise
            "403": R.REJECTED, "405": R.REJECTED, "415": R.REJECTED,  # emetteur invalide
            "416": R.USERUNKNOWN,  # invalid recipient
            "417": R.MAILBOXFULL,  # boite du destinataire pleine
            "420": R.SUSPEND,  # boite du destinataire archivee
            "421": R.REJECTED,  # mail from not owned by user
            "426": R.SUSPEND,  # the recipient account is blocked
            "505": R.SYSTEMERROR,  # 421 4.2.0 service refuse, at the end of DATA
            "506": R.SPAMDETECTED,  # mail rejete
            "510": R.BLOCKED,
            "514": R.MESGTOOBIG,  # taille limite du message atteinte
            "517": R.AUTHFAILURE,  # DMARC verification failed
            "630": R.POLICYVIOLATION,  # 554 5.7.1 Client host rejected LPN000_630
            "999": R.BLOCKED,
        }),
    ),
    # 421 ... Emetteur invalide, Veuillez verifier la configuration SPF/DNS de votre nom de domaine
    rules=rules((R.AUTHFAILURE, ("spf/dns de votre nom de domaine",))),
)
