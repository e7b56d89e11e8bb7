from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class EmergencyConfig(AppConfig):
    name = "zhili.emergency"
    label = "emergency"
    verbose_name = pgettext_lazy("app", "Emergency")
