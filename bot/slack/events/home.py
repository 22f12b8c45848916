"""The App Home tab: monitored domains with their state, open incidents with links, mailbox health."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack import blocks, oncall_blocks, queries
from bot.slack.oncall import current_quiet
from bot.slack.services import Services


def register(app: App, services: Services) -> None:
    def on_home_opened(event: dict[str, Any]) -> None:
        publish_home(event, services)

    app.event("app_home_opened")(on_home_opened)


def home_data(services: Services) -> blocks.HomeData:
    engine, settings = services.engine, services.settings
    open_ones = queries.open_incidents(engine)
    monitored = list(settings.monitor.domains) + sorted({i.domain for i in open_ones} - set(settings.monitor.domains))
    domains = queries.domain_incidents(engine, monitored)
    urls = {i.id: url for i in open_ones if (url := queries.incident_link(engine, i, settings.slack.api_url).url)}
    now = services.clock()
    quiet = {domain: oncall_blocks.quiet_line(q) for domain, _ in domains
             if (q := current_quiet(engine, settings, domain, now))}
    return blocks.HomeData(
        quiet=quiet,
        domains=tuple(domains),
        figures=queries.bounce_figures_of(engine, settings.monitor.domains, now=now, settings=settings),
        blacklists=queries.blacklist_statuses(engine, settings, now),
        incident_urls=urls,
        mailboxes=tuple(queries.mailbox_statuses(engine)),
        servers=queries.servers_by_domain(engine, settings.monitor),
        delivery_problems=tuple(queries.delivery_problems(engine, now)),
        now=now,
    )


def publish_home(event: dict[str, Any], services: Services) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return  # no one to publish the tab for
    services.gateway.publish_home(str(event["user"]), blocks.home_view(home_data(services)))
