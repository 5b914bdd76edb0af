"""WebSocket routes: the live alert feed."""

from django.urls import path

from controlpanel.live.consumer import AlertsConsumer

websocket_urlpatterns: list = [
    path("ws/alerts/", AlertsConsumer.as_asgi(), name="ws-alerts"),
]
