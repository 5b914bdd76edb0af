"""ASGI entry point: HTTP through Django, WebSockets through Channels (same origin only, authenticated)."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlpanel.settings")
# Django first: it sets up the app registry that the routing imports need.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from controlpanel import gcpolicy  # noqa: E402
from controlpanel.live.origin import SameOriginValidator  # noqa: E402
from controlpanel.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# Everything loaded so far (Django, the URLconf, templates' machinery, Channels) lives as long as the
# process: move it out of the collector's reach. A full collection then scans only what serving
# allocated; bench/alerts_latency.py measured gen-2 pauses of 70-80 ms per worker without this and
# about 20 ms with it, which showed directly in the alert latency's p99.
gc.freeze()
# And the survivors of each full collection later on, so those stay short too (see gcpolicy).
if settings.CP_GC_FREEZE_SURVIVORS:
    gcpolicy.install()
