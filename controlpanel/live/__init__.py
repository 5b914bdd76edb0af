"""The live-alert WebSocket, from the commit to the browser's socket.

- ``groups``: channel-layer group names, close codes, and what services tell open sockets (after
  commit): re-scope, close, re-check the session. The only module that knows group names.
- ``frames``: what a socket sends the browser for an AlertEvent (rendered once per event).
- ``hub``: per worker, the one channel-layer member of the gateway groups; fans each doorbell out to
  the worker's sockets and sends AlertEvents whose doorbell never came.
- ``consumer``: the socket (``AlertsConsumer``); no business rules.
- ``origin``: the handshake's Origin must be the panel's own (scheme, host and port).
- ``fastpath``: under daphne, a frame prepared once per doorbell and written onto each socket.

Reads (visible gateways, backfill) are selectors; writes (ingest, lifecycle) are services.
"""
