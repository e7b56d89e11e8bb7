from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class AssessmentConfig(AppConfig):
    name = "zhili.analytics.assessment"
    label = "assessment"
    verbose_name = _("Assessment")


# Labels of this app's audit actions (zhili.audit.models.AuditAction): translated in this catalogue.
AUDIT_LABELS = (
    gettext_noop("Assessment indicator set saved"),
    gettext_noop("Assessment computed"),
    gettext_noop("Assessment published"),
    gettext_noop("Published assessment corrected"),
)
