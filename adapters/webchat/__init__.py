"""Web chat: the venue's own website as a fan channel (one script tag, the same bot).

A venue adds ``<script src="https://usher.example/chat/widget.js" async></script>`` to any
page. The widget (``widget.js``, in a Shadow DOM) talks to ``/chat/ws``, a WebSocket on the
same Starlette app as everything else, in JSON frames that mirror ``usher converse``.

The modules, each small:

* ``frames``    the JSON frames both ways, parsed and checked before anything acts on them;
* ``sessions``  sessions, the per-session log of messages (a day) and rate counters, in Redis;
* ``registry``  this process's open sockets, and the pub/sub wake-ups that bring a message
  written by any process (an agent's reply, a reminder) to the socket that should show it;
* ``endpoint``  the WebSocket endpoint: Origin check, limits, hello, turns, sign-out;
* ``limits``    the numbers behind the limits, and the in-memory per-socket frame budget;
* ``assets``    ``GET /chat/widget.js`` (content-hashed, cached for a year) and ``/chat/demo``;
* ``channel``   the channel as ``usher serve`` and ``usher worker`` see it: routes, start,
  stop, and the sender the Messenger uses for proactive messages.
"""
