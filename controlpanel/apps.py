from django.apps import AppConfig


class ControlPanelConfig(AppConfig):
    name = "controlpanel"
    verbose_name = "OpenClaw control panel"

    def ready(self) -> None:
        from controlpanel import (
            signals,  # noqa: F401 - registers receivers
            tasks,  # noqa: F401 - registers the periodic schedule
        )
