"""`bouncecheck check`: DESIGN.md's JSON shape, the table with the verdict first, exit 2 on a bad target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.servers.dns import LISTED_IP, SPF_DOMAIN, Behaviour, DNSServer

ZONE_KEYS = {"zone", "list", "status", "codes", "meaning", "txt", "delist_url", "problem"}


@pytest.fixture
def config(dns_server: DNSServer, tmp_path: Path) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[dns]\nnameservers = ["{dns_server.nameserver}"]\ntimeout = "1s"\n'
                    f'[monitor]\ndomains = ["{SPF_DOMAIN}"]\nsending_ips = ["192.0.2.10"]\n', encoding="utf-8")
    return str(path)


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main(["check", "--json", *argv]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    data: dict[str, object] = json.loads(out)
    return data


def test_domain_json(capsys: pytest.CaptureFixture[str], config: str) -> None:
    data = _json(capsys, "--config", config, SPF_DOMAIN)
    assert {"target", "type", "ips", "domain_results", "broken_zones", "posture", "verdict"} <= set(data)
    assert (data["target"], data["type"], data["verdict"]) == (SPF_DOMAIN, "domain", "clean")
    ips = data["ips"]
    assert isinstance(ips, list) and ips[0]["ip"] == "192.0.2.10" and ips[0]["sources"] == ["config", "spf"]
    for ip in ips:
        assert {r["status"] for r in ip["results"]} == {"not_listed"}
        assert all(set(r) == ZONE_KEYS for r in ip["results"])
    assert all(set(r) == ZONE_KEYS for r in data["domain_results"])  # type: ignore[attr-defined]
    posture = data["posture"]
    assert isinstance(posture, dict)
    assert posture["spf"]["all"] == "-all" and posture["dmarc"]["policy"] == "none"
    assert any("p=none" in a for a in posture["advice"])


def test_listed_ip_json(capsys: pytest.CaptureFixture[str], config: str) -> None:
    data = _json(capsys, "--config", config, LISTED_IP)
    assert (data["type"], data["verdict"], data["posture"], data["domain_results"]) == ("ip", "listed", None, [])
    ips = data["ips"]
    assert isinstance(ips, list) and len(ips) == 1
    zen = ips[0]["results"][0]
    assert zen == {"zone": "zen.spamhaus.org", "list": "Spamhaus ZEN", "status": "listed",
                   "codes": ["127.0.0.2", "127.0.0.10"], "meaning": zen["meaning"],
                   "txt": "https://check.spamhaus.org/sbl/query/SBL0001", "delist_url": "https://check.spamhaus.org/",
                   "problem": ""}


def test_human_table_verdict_first(capsys: pytest.CaptureFixture[str], config: str) -> None:
    assert main(["check", "--config", config, LISTED_IP]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"LISTED  {LISTED_IP} (ip)")
    assert any("Spamhaus ZEN" in line and "127.0.0.2" in line for line in lines)
    assert any("delist: https://www.spamcop.net/bl.shtml?192.0.2.99" in line for line in lines)
    assert not any("PSBL" in line for line in lines)  # not-listed zones are summed up, not listed


def test_human_table_domain(capsys: pytest.CaptureFixture[str], config: str) -> None:
    assert main(["check", "--config", config, SPF_DOMAIN]) == 0
    out = capsys.readouterr().out
    assert out.startswith("CLEAN  example.com (domain)")
    assert "SPF:   v=spf1" in out and "DMARC: p=none" in out and "advice:" in out


@pytest.mark.parametrize("target", ["", "not a domain", "localhost", "x" * 400])
def test_bad_target_exits_2(capsys: pytest.CaptureFixture[str], config: str, target: str) -> None:
    assert main(["check", "--config", config, target]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("bouncecheck: ")


def test_unreachable_resolver_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.conftest import free_port

    path = tmp_path / "config.toml"
    path.write_text(f'[dns]\nnameservers = ["127.0.0.1:{free_port()}"]\ntimeout = "0.5s"\n', encoding="utf-8")
    assert main(["check", "--config", str(path), "192.0.2.1"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[dns] nameservers" in err


# --------------------------------------------------------------------------- unknown, and why


def _text(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    assert main(["check", *argv]) == 0
    return capsys.readouterr().out.splitlines()


def test_text_of_a_domain_whose_lookups_fail(capsys: pytest.CaptureFixture[str], config: str,
                                             dns_server: DNSServer) -> None:
    dns_server.world.rule(SPF_DOMAIN, Behaviour.SERVFAIL)
    lines = _text(capsys, "--config", config, SPF_DOMAIN)
    assert lines[0].startswith("UNKNOWN  example.com (domain)")
    assert lines[1:6] == ["could not tell, because:",
                          "  - SPF lookup of example.com: SERVFAIL",
                          "  - MX lookup of example.com: SERVFAIL",
                          "  - A and AAAA lookups of example.com failed",
                          "  - DMARC lookup of example.com: SERVFAIL"]
    assert "SPF:   could not look up: SERVFAIL" in lines and "DMARC: could not look up: SERVFAIL" in lines
    assert "advice:" not in lines and not any("publish" in line.lower() for line in lines)


def test_text_of_a_resolver_at_fault(capsys: pytest.CaptureFixture[str], config: str, dns_server: DNSServer) -> None:
    dns_server.world.rule("", Behaviour.NXDOMAIN)
    lines = _text(capsys, "--config", config, SPF_DOMAIN)
    assert lines[1:3] == ["could not tell, because:",
                          f"  - the resolver 127.0.0.1:{dns_server.port} answers NXDOMAIN for every blacklist's "
                          "test entry: it is at fault, not the lists, and what it says does not exist at example.com "
                          "cannot be trusted either; point [dns] nameservers at a working resolver"]
    assert lines[3] == ""  # one reason, said once
    assert "    error      Spamhaus DBL, SURBL multi, URIBL multi: resolver at fault" in lines
    assert "SPF:   could not look up: resolver at fault" in lines
    assert "DMARC: could not look up: resolver at fault" in lines
    assert not any("dead" in line or "none published" in line or "broken zones" in line for line in lines)


def test_text_of_a_dmarc_timeout(capsys: pytest.CaptureFixture[str], config: str, dns_server: DNSServer) -> None:
    dns_server.world.rule(f"_dmarc.{SPF_DOMAIN}", Behaviour.DROP)
    lines = _text(capsys, "--config", config, SPF_DOMAIN)
    assert lines[1:3] == ["could not tell, because:", "  - DMARC lookup of example.com: timeout (no answer within 1s)"]
    assert "DMARC: could not look up: timeout (no answer within 1s)" in lines
    assert not any("fix it" in line or "publish" in line.lower() for line in lines)


def test_text_of_a_private_ip(capsys: pytest.CaptureFixture[str], config: str, dns_server: DNSServer) -> None:
    lines = _text(capsys, "--config", config, "10.0.0.1")
    assert lines[0].startswith("UNKNOWN  10.0.0.1 (ip), checked ")
    assert lines[1:] == [
        "could not tell, because:",
        "  - 10.0.0.1 is not a public address: blocklists do not list it (private network, RFC 1918)",
        "",
        f"{'10.0.0.1':<40} {'-':<14} not checked: not a public address (private network, RFC 1918)",
    ]
    assert dns_server.world.queries == []


def test_json_of_a_resolver_at_fault(capsys: pytest.CaptureFixture[str], config: str, dns_server: DNSServer) -> None:
    dns_server.world.rule("", Behaviour.NXDOMAIN)
    data = _json(capsys, "--config", config, SPF_DOMAIN)
    assert data["verdict"] == "unknown" and data["broken_zones"] == []
    problems = data["problems"]
    assert isinstance(problems, list) and len(problems) == 1 and "it is at fault, not the lists" in problems[0]
    results = [r for ip in data["ips"] for r in ip["results"]] + data["domain_results"]  # type: ignore[attr-defined]
    assert results and {(r["status"], r["problem"]) for r in results} == {("error", "resolver at fault")}
    posture = data["posture"]
    assert isinstance(posture, dict)
    for record in ("spf", "dmarc"):
        assert posture[record]["present"] is None and posture[record]["lookup_problem"] == "resolver at fault"
    assert posture["advice"] == []


def test_json_of_a_private_ip(capsys: pytest.CaptureFixture[str], config: str) -> None:
    data = _json(capsys, "--config", config, "192.168.1.1")
    assert (data["verdict"], data["problems"]) == (
        "unknown", ["192.168.1.1 is not a public address: blocklists do not list it (private network, RFC 1918)"])
    assert data["ips"] == [{"ip": "192.168.1.1", "sources": [], "ptr": None, "results": [],
                            "not_public": "private network, RFC 1918"}]


def test_json_of_a_clean_check_has_no_problems(capsys: pytest.CaptureFixture[str], config: str) -> None:
    data = _json(capsys, "--config", config, SPF_DOMAIN)
    assert (data["verdict"], data["problems"]) == ("clean", [])
    assert {ip["not_public"] for ip in data["ips"]} == {""}  # type: ignore[attr-defined]
