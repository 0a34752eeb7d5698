"""The Slack app (slack-bolt): the support agents' console, marketing links, human handoff.

Listeners acknowledge, then call the channel-free logic in ``handlers.support`` and
``handlers.marketing``; Block Kit is drawn in ``blocks``. Imports: slack_bolt, slack_sdk, the
Redis ports of ``adapters.store``, the core and the handlers.
"""
