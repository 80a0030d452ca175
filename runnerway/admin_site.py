"""The staff admin site: one "Accounts" section, the analytics page in the index, framework tables hidden.

Installed as Django's default site by `RunnerWayAdminConfig` (INSTALLED_APPS), so every app's
`@admin.register` lands here and `admin.site` is this site.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

# Apps whose models staff see under Accounts: Django's groups (staff roles) and allauth's email addresses.
FOLDED_INTO_ACCOUNTS = ("auth", "account")

# Framework tables nobody on the staff works with: the single Site row, allauth's social apps (Kakao's keys come
# from the environment), simplejwt's token bookkeeping, axes' raw logs (its lockouts, AccessAttempt, stay:
# that is where a locked-out admin is let back in). django-q's tables stay: operators read failed and
# scheduled tasks there.
HIDDEN_MODELS = (
    ("sites", "Site"),
    ("socialaccount", "SocialApp"),
    ("socialaccount", "SocialToken"),
    ("socialaccount", "SocialAccount"),
    ("token_blacklist", "OutstandingToken"),
    ("token_blacklist", "BlacklistedToken"),
    ("axes", "AccessLog"),
    ("axes", "AccessFailureLog"),
)


class RunnerWayAdminSite(admin.AdminSite):
    site_header = _("RunnerWay staff")
    site_title = _("RunnerWay admin")
    index_title = _("Staff tools")

    def get_urls(self):
        from runnerway.admin import analytics_view  # app loading: this module loads with INSTALLED_APPS, before models

        return [path("analytics/", self.admin_view(analytics_view), name="analytics"), *super().get_urls()]

    def get_app_list(self, request, app_label=None):
        if app_label is not None and app_label != "accounts":
            return super().get_app_list(request, app_label)
        apps = super().get_app_list(request)
        accounts = next((app for app in apps if app["app_label"] == "accounts"), None)
        if accounts is not None:
            for app in [app for app in apps if app["app_label"] in FOLDED_INTO_ACCOUNTS]:
                accounts["models"].extend(app["models"])
                apps.remove(app)
            accounts["models"].sort(key=lambda model: str(model["name"]))
        runnerway = next((app for app in apps if app["app_label"] == "runnerway"), None)
        if runnerway is not None:
            # The page of charts, listed beside the tables it draws (it has no model of its own).
            runnerway["models"].insert(0, {
                "name": _("Analytics (charts)"), "object_name": "Analytics", "perms": {"view": True},
                "admin_url": reverse("admin:analytics", current_app=self.name), "add_url": None,
                "view_only": True,
            })
        if app_label is not None:
            return [app for app in apps if app["app_label"] == app_label]
        return apps


class RunnerWayAdminConfig(AdminConfig):
    default_site = "runnerway.admin_site.RunnerWayAdminSite"

    def ready(self):
        super().ready()  # autodiscover: every app's admin module has registered by now
        from django.apps import apps

        for app_label, model_name in HIDDEN_MODELS:
            try:
                model = apps.get_model(app_label, model_name)
            except LookupError:
                continue  # an optional app that is not installed
            if admin.site.is_registered(model):
                admin.site.unregister(model)
