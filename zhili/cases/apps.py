from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "zhili.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Not domain logic: every process's in-memory copy of the configuration must learn of a
        # change however it was made (see zhili.cases.rulebook).
        from zhili.cases import rulebook

        rulebook.connect()
