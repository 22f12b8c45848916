"""Every blocklist the bot knows, one entry each: cited in bounces, queried, or both.

Adding a list is one `Blocklist(...)` below; `reputation.zones` queries the active and
informational ones, `bounces.blocklists` recognises every name, alias and lookup URL.
Facts and sources: shared/research/dnsbl-and-auth.md §2 (return codes), §5 (what to query, what
is dead). Order matters twice: it is the order zones are queried and shown, and the order names
are tried in bounce text.
"""

from __future__ import annotations

from bot.blocklists.model import Blocklist, Code, ListState, LookupUrl, Note, Reading, ZoneType

# Spamhaus answers 127.255.255.x for errors, never for listings (research §2, pydnsbl#27).
_SPAMHAUS_ERRORS = (
    Code(match="127.255.255.252", reading=Reading.ERROR, meaning="query name typing error (Spamhaus)"),
    Code(match="127.255.255.254", reading=Reading.ERROR, note=Note.SPAMHAUS_REFUSED,
         meaning="refused: query came through a public or unattributable resolver"),
    Code(match="127.255.255.255", reading=Reading.ERROR, note=Note.SPAMHAUS_LIMIT,
         meaning="refused: excessive number of queries"),
    Code(match="127.255.0.0/16", reading=Reading.ERROR, meaning="Spamhaus error code (not a listing)"),
)

_MAILSPIKE_REPUTATION = "Mailspike reputation level, not a block"
_SPAMHAUS_CHECK = "https://check.spamhaus.org/"
_UCEPROTECT_CHECK = "https://www.uceprotect.net/en/rblcheck.php?ipr={target}"
_SPAMRATS_LOOKUP = "https://www.spamrats.com/lookup.php?ip={target}"
_SEM_LOOKUP = "https://spameatingmonkey.com/lookup"

# ----------------------------------------------------------------- queried by default (research §5)

_QUERIED: tuple[Blocklist, ...] = (
    Blocklist(
        zone="zen.spamhaus.org", name="Spamhaus ZEN", type=ZoneType.IP, operator="Spamhaus",
        state=ListState.ACTIVE, dqs_zone="zen.dq.spamhaus.net", delist_url=_SPAMHAUS_CHECK,
        # ZEN is SBL+CSS+XBL+PBL: a bounce naming a part is answered by querying the whole.
        aliases=("sbl.spamhaus.org", "xbl.spamhaus.org", "pbl.spamhaus.org", "sbl-xbl.spamhaus.org"),
        lookup_urls=(
            LookupUrl(pattern=r"spamhaus\.org/(?:sbl/query|query/sbl)", cites="sbl.spamhaus.org"),
            # "https://www.spamhaus.org/query/ip/192.0.2.1", "https://check.spamhaus.org/..."
            LookupUrl(pattern=r"spamhaus\.org/(?:query/(?:ip|bl)|lookup|pbl/query|xbl/query)|check\.spamhaus\.org"),
        ),
        named_by=(r"\bspamhaus\b",),  # "Message rejected because of blocked by Spamhaus"
        codes=(
            *_SPAMHAUS_ERRORS,
            Code(match="127.0.0.2", reading=Reading.LISTED, meaning="SBL: known spam source or operation"),
            Code(match="127.0.0.3", reading=Reading.LISTED, meaning="CSS: snowshoe / low-reputation sending"),
            Code(match="127.0.0.4/30", reading=Reading.LISTED,
                 meaning="XBL: compromised host (botnet, exploit, open proxy)"),
            Code(match="127.0.0.9", reading=Reading.LISTED, meaning="DROP: hijacked or criminal netblock"),
            Code(match="127.0.0.10/31", reading=Reading.LISTED,
                 meaning="PBL: end-user range that should not send direct to MX (policy, not spam)"),
            Code(match="127.0.0.30", reading=Reading.LISTED, meaning="BCL: botnet controller"),
        ),
    ),
    Blocklist(
        zone="b.barracudacentral.org", name="Barracuda BRBL", type=ZoneType.IP, operator="Barracuda Networks",
        state=ListState.ACTIVE, delist_url="https://www.barracudacentral.org/rbl/removal-request",
        aliases=("bb.barracudacentral.org",),  # the same BRBL under its second public name
        # "http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.1", "barracudacentral.org/lookups"
        lookup_urls=(LookupUrl(pattern=r"barracuda(?:central|networks)\.(?:org|com)/(?:rbl|lookups|bbl)"),),
        named_by=(r"\bbarracuda (?:reputation|rbl|brbl)\b",),
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED, meaning="listed in Barracuda Reputation Block List"),),
    ),
    Blocklist(
        zone="bl.spamcop.net", name="SpamCop", type=ZoneType.IP, operator="Cisco / SpamCop",
        state=ListState.ACTIVE, delist_url="https://www.spamcop.net/bl.shtml?{target}",
        # "554 Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.1"
        lookup_urls=(LookupUrl(pattern=r"spamcop\.net/(?:bl\.shtml|w3m\?action=checkblock)"),),
        named_by=(r"\bspamcop\b",),
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED,
                    meaning="reported as a spam source (expires on its own)"),),
    ),
    Blocklist(
        zone="psbl.surriel.com", name="PSBL", type=ZoneType.IP, operator="PSBL (Rik van Riel)",
        state=ListState.ACTIVE, delist_url="https://psbl.org/listing?ip={target}",
        lookup_urls=(LookupUrl(pattern=r"surriel\.com/(?:psbl|listing)"),),
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED,
                    meaning="sent mail to spam traps (self-service removal)"),),
    ),
    Blocklist(
        zone="bl.mailspike.net", name="Mailspike", type=ZoneType.IP, operator="Mailspike",
        state=ListState.ACTIVE, delist_url="https://mailspike.org/iplookup.html",
        lookup_urls=(LookupUrl(pattern=r"mailspike\.(?:net|org)/(?:lookup|anubis)"),),
        codes=(
            Code(match="127.0.0.2", reading=Reading.LISTED, meaning="part of a current spam wave"),
            Code(match="127.0.0.10", reading=Reading.LISTED, meaning="worst reputation (L5)"),
            Code(match="127.0.0.11", reading=Reading.LISTED, meaning="very bad reputation (L4)"),
            Code(match="127.0.0.12", reading=Reading.LISTED, meaning="bad reputation (L3)"),
            Code(match="127.0.0.13/32", reading=Reading.NOT_LISTED, meaning=_MAILSPIKE_REPUTATION),
            Code(match="127.0.0.14/31", reading=Reading.NOT_LISTED, meaning=_MAILSPIKE_REPUTATION),
            Code(match="127.0.0.16/30", reading=Reading.NOT_LISTED, meaning=_MAILSPIKE_REPUTATION),
            Code(match="127.0.0.20", reading=Reading.NOT_LISTED, meaning=_MAILSPIKE_REPUTATION),
        ),
    ),
    Blocklist(
        zone="dnsbl-1.uceprotect.net", name="UCEPROTECT L1", type=ZoneType.IP, operator="UCEPROTECT",
        state=ListState.ACTIVE, delist_url=_UCEPROTECT_CHECK,
        # One lookup page for all three levels; a link to it most often means L1, the only one about this IP.
        lookup_urls=(LookupUrl(pattern=r"uceprotect\.net/(?:en/)?rblcheck"),),
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED, meaning="this IP sent spam to UCEPROTECT traps"),),
    ),
    Blocklist(
        zone="dnsbl-2.uceprotect.net", name="UCEPROTECT L2", type=ZoneType.IP, operator="UCEPROTECT",
        state=ListState.INFORMATIONAL, delist_url=_UCEPROTECT_CHECK,
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED,
                    meaning="neighbourhood: your provider's range is listed, not this IP (information only)"),),
    ),
    Blocklist(
        zone="dnsbl-3.uceprotect.net", name="UCEPROTECT L3", type=ZoneType.IP, operator="UCEPROTECT",
        state=ListState.INFORMATIONAL, delist_url=_UCEPROTECT_CHECK,
        codes=(Code(match="127.0.0.2", reading=Reading.LISTED,
                    meaning="neighbourhood: your provider's whole network (ASN) is listed (information only)"),),
    ),
    Blocklist(
        zone="dbl.spamhaus.org", name="Spamhaus DBL", type=ZoneType.DOMAIN, operator="Spamhaus",
        state=ListState.ACTIVE, dqs_zone="dbl.dq.spamhaus.net", delist_url=_SPAMHAUS_CHECK,
        lookup_urls=(LookupUrl(pattern=r"spamhaus\.org/query/dbl"),),
        codes=(
            *_SPAMHAUS_ERRORS,
            # haraka-plugin-uribl#2, adionditsak#2: 127.0.1.255 means "you asked about an IP".
            Code(match="127.0.1.255", reading=Reading.ERROR, meaning="DBL was asked about an IP address"),
            Code(match="127.0.1.2", reading=Reading.LISTED, meaning="spam domain"),
            Code(match="127.0.1.4", reading=Reading.LISTED, meaning="phishing domain"),
            Code(match="127.0.1.5", reading=Reading.LISTED, meaning="malware domain"),
            Code(match="127.0.1.6", reading=Reading.LISTED, meaning="botnet C&C domain"),
            Code(match="127.0.1.102", reading=Reading.LISTED, meaning="abused legit domain: spam"),
            Code(match="127.0.1.103", reading=Reading.LISTED, meaning="abused legit domain: spammed redirector"),
            Code(match="127.0.1.104", reading=Reading.LISTED, meaning="abused legit domain: phishing"),
            Code(match="127.0.1.105", reading=Reading.LISTED, meaning="abused legit domain: malware"),
            Code(match="127.0.1.106", reading=Reading.LISTED, meaning="abused legit domain: botnet C&C"),
        ),
    ),
    Blocklist(
        zone="multi.surbl.org", name="SURBL multi", type=ZoneType.DOMAIN, operator="SURBL",
        state=ListState.ACTIVE, delist_url="https://www.surbl.org/surbl-analysis",
        codes=(Code(match="127.0.0.1", reading=Reading.ERROR, meaning="refused or unused bit 1 (not a listing)"),),
        bits=((8, "PH: phishing"), (16, "MW: malware"), (64, "ABUSE: spam and abuse"), (128, "CR: cracked sites")),
    ),
    Blocklist(
        zone="multi.uribl.com", name="URIBL multi", type=ZoneType.DOMAIN, operator="URIBL",
        state=ListState.ACTIVE, delist_url="https://admin.uribl.com/",
        aliases=("black.uribl.com",),  # the black list alone; multi carries it as bit 2
        # uribl.com/refused.shtml: 127.0.0.1 is "query refused", sent to big shared resolvers.
        codes=(Code(match="127.0.0.1", reading=Reading.ERROR, note=Note.URIBL_REFUSED,
                    meaning="refused: resolver is public, shared or over the volume limit"),),
        bits=((2, "black: actively used in spam"), (4, "grey: bulk mail sender domain"),
              (8, "red: seen in spam, under review")),
    ),
)

# ----------------------------------------------------------------- cited in bounces, not queried
# Delist pages below are the lists' own lookup pages as public checkers link them; not checked
# against the live sites (no network here). Where no per-address page is known, the home page.

_CITED_ONLY: tuple[Blocklist, ...] = (
    Blocklist(
        zone="zrd.spamhaus.org", name="Spamhaus ZRD", type=ZoneType.DOMAIN, operator="Spamhaus",
        state=ListState.KNOWN, delist_url=_SPAMHAUS_CHECK,  # zero-reputation domains: served through DQS only
    ),
    Blocklist(
        zone="cbl.abuseat.org", name="CBL", type=ZoneType.IP, operator="Spamhaus (formerly abuseat.org)",
        # The CBL's data is Spamhaus XBL now, queried as part of ZEN (research §5: "do not include").
        state=ListState.RETIRED, replaced_by="zen.spamhaus.org", delist_url=_SPAMHAUS_CHECK,
        lookup_urls=(LookupUrl(pattern=r"abuseat\.org/lookup"),),  # "http://cbl.abuseat.org/lookup.cgi?ip=..."
    ),
    Blocklist(
        zone="dnsbl.sorbs.net", name="SORBS", type=ZoneType.IP, operator="Proofpoint (SORBS)",
        # Shut down on 5 June 2024 (research §2b): a citation is an old receiver configuration.
        state=ListState.RETIRED, delist_url="https://www.sorbs.net/lookup.shtml?{target}",
        aliases=("spam.dnsbl.sorbs.net",),
        lookup_urls=(LookupUrl(pattern=r"sorbs\.net/lookup"),),
    ),
    Blocklist(
        zone="ix.dnsbl.manitu.net", name="NiX Spam", type=ZoneType.IP, operator="manitu",
        # Research §5 lists it as dead; check_rbl NEWS: removed 2025-01-17.
        state=ListState.RETIRED, delist_url="https://www.dnsbl.manitu.net/lookup.php?value={target}",
    ),
    Blocklist(
        zone="truncate.gbudb.net", name="GBUdb Truncate", type=ZoneType.IP, operator="ARM Research (GBUdb)",
        state=ListState.KNOWN, delist_url="https://www.gbudb.com/truncate/",
    ),
    Blocklist(
        zone="bl.0spam.org", name="0spam", type=ZoneType.IP, operator="0spam",
        state=ListState.KNOWN, delist_url="https://0spam.org/",
    ),
    Blocklist(
        zone="dnsbl.spfbl.net", name="SPFBL", type=ZoneType.IP, operator="SPFBL.net",
        state=ListState.KNOWN, delist_url="https://spfbl.net/en/dnsbl/",
    ),
    Blocklist(
        zone="all.s5h.net", name="s5h.net", type=ZoneType.IP, operator="usenix.org.uk",
        state=ListState.KNOWN, delist_url="https://www.usenix.org.uk/content/rbl.html",
    ),
    Blocklist(
        zone="rbl.interserver.net", name="InterServer RBL", type=ZoneType.IP, operator="InterServer",
        state=ListState.KNOWN, delist_url="https://rbl.interserver.net/",
    ),
    Blocklist(
        zone="bl.nordspam.com", name="NordSpam", type=ZoneType.IP, operator="NordSpam",
        state=ListState.KNOWN, delist_url="https://www.nordspam.com/",
    ),
    Blocklist(
        zone="dnsbl.dronebl.org", name="DroneBL", type=ZoneType.IP, operator="DroneBL",
        state=ListState.KNOWN, delist_url="https://dronebl.org/lookup?ip={target}",
    ),
    Blocklist(
        zone="spam.spamrats.com", name="SpamRATS", type=ZoneType.IP, operator="SpamRATS",
        state=ListState.KNOWN, delist_url=_SPAMRATS_LOOKUP,
        aliases=("noptr.spamrats.com", "dyna.spamrats.com"),  # RATS-NoPtr and RATS-Dyna: one lookup page
    ),
    Blocklist(
        zone="hostkarma.junkemailfilter.com", name="Hostkarma", type=ZoneType.IP, operator="Junk Email Filter",
        state=ListState.KNOWN, delist_url="https://ipadmin.junkemailfilter.com/remove.php?ip={target}",
    ),
    Blocklist(
        zone="bl.blocklist.de", name="blocklist.de", type=ZoneType.IP, operator="blocklist.de",
        state=ListState.KNOWN, delist_url="https://www.blocklist.de/en/search.html?ip={target}",
    ),
    Blocklist(
        zone="spamrbl.imp.ch", name="IMP spamrbl", type=ZoneType.IP, operator="IMP AG",
        state=ListState.KNOWN, delist_url="https://antispam.imp.ch/",
    ),
    Blocklist(
        zone="db.wpbl.info", name="WPBL", type=ZoneType.IP, operator="WPBL",
        state=ListState.KNOWN, delist_url="https://www.wpbl.info/",
    ),
    Blocklist(
        zone="access.redhawk.org", name="Redhawk", type=ZoneType.IP, operator="Redhawk",
        state=ListState.KNOWN, delist_url="https://www.redhawk.org/",
    ),
    Blocklist(
        zone="dnsbl.inps.de", name="INPS DNSBL", type=ZoneType.IP, operator="INPS",
        state=ListState.RETIRED, delist_url="https://dnsbl.inps.de/",  # shut down May 2020 (research §2c)
    ),
    Blocklist(
        zone="work.drbl.imedia.ru", name="DRBL imedia", type=ZoneType.IP, operator="imedia.ru",
        state=ListState.KNOWN, delist_url="https://www.imedia.ru/",
    ),
    Blocklist(
        zone="bl.spameatingmonkey.net", name="SEM BLACK", type=ZoneType.IP, operator="Spam Eating Monkey",
        state=ListState.KNOWN, delist_url=_SEM_LOOKUP,
    ),
    Blocklist(
        zone="backscatter.spameatingmonkey.net", name="SEM BACKSCATTER", type=ZoneType.IP,
        operator="Spam Eating Monkey", state=ListState.KNOWN, delist_url=_SEM_LOOKUP,  # bounces to forged senders
    ),
)

LISTS: tuple[Blocklist, ...] = (*_QUERIED, *_CITED_ONLY)
