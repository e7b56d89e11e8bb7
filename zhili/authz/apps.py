from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthzConfig(AppConfig):
    name = "zhili.authz"
    label = "authz"
    verbose_name = _("Authorisation")
