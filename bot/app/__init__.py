"""The shell: settings, the ``usher`` command, the ASGI app, logs, metrics, tracing, bootstrap.

``bootstrap`` is the one place that wires adapters to handlers, so this wing (and only this wing
of ``bot``) may import ``adapters`` and the SDKs. The core may use ``metrics``, ``tracing`` and
``settings`` from here; nothing else.
"""
