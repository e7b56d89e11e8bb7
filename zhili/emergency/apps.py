from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class EmergencyConfig(AppConfig):
    name = "zhili.emergency"
    label = "emergency"
    verbose_name = pgettext_lazy("app", "Emergency")

    def ready(self) -> None:
        from zhili.emergency.actions import inbox_notes
        from zhili.notify import topics

        topics.register("emergency.alert:", inbox_notes)
