from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class AccountsConfig(AppConfig):
    name = "zhili.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from zhili.accounts import signals  # noqa: F401  (connects the sign-in audit receivers)


# Labels of this app's audit actions (zhili.audit.models.AuditAction): translated in this catalogue.
AUDIT_LABELS = (gettext_noop("Staff e-mail address set or cleared"),)
