from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"

    def ready(self):
        # The audit log (surveys.audit): sign-ins and failed sign-ins, wherever they happen
        # (the sign-in page, the admin's), and the edits of these models, wherever they are
        # made. Users: role and access only (not the password, not each sign-in's last_login).
        from auditlog.registry import auditlog
        from auditlog.signals import pre_log
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import audit
        from .models import Account, Program, Region, User

        user_logged_in.connect(audit.signed_in, dispatch_uid="surveys.audit.signed_in")
        user_login_failed.connect(audit.sign_in_failed, dispatch_uid="surveys.audit.sign_in_failed")
        auditlog.register(User, include_fields=["email", "role", "is_active", "is_staff", "is_superuser"],
                          m2m_fields={"groups"})
        auditlog.register(Region, include_fields=["name", "manager"])
        auditlog.register(Account, include_fields=["external_id", "name", "region", "owner", "active",
                                                   "annual_revenue"])
        auditlog.register(Program, exclude_fields=["updated_at"])
        pre_log.connect(audit.audit_skip_created, sender=Program, dispatch_uid="surveys.audit.program")

        # Searches by a part of a name fold every letter's case on SQLite too (surveys.text_search).
        from django.db.backends.signals import connection_created

        from .text_search import sqlite_upper_register

        connection_created.connect(sqlite_upper_register, dispatch_uid="surveys.text_search")
