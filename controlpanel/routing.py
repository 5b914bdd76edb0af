"""WebSocket routes (live alerts arrive with the alerts work)."""

websocket_urlpatterns: list = []
