"""The Telegram channel (python-telegram-bot v22): webhook, durable inbox, polling, paced sends.

Only translation and delivery: updates become ``Inbound`` (``inbound``), replies become Bot API
calls (``render``, ``send``). Imports: telegram, starlette (the webhook route), the Redis ports of
``adapters.store``, and the core.
"""
