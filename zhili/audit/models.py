"""Append-only, hash-chained audit log.

Each row's ``hash`` is SHA-256 over the previous row's hash and the canonical JSON of the row, so
a changed, removed or inserted row breaks the chain at that point; database triggers refuse
UPDATE and DELETE so that the application itself cannot rewrite history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditAction(models.TextChoices):
    LOGIN = "auth.login", _("Logged in")
    LOGIN_FAILED = "auth.login_failed", _("Login failed")
    LOGOUT = "auth.logout", _("Logged out")
    USER_CREATED = "accounts.user_created", _("User created")
    MEMBERSHIP_GRANTED = "accounts.membership_granted", _("Membership granted")
    MEMBERSHIP_REVOKED = "accounts.membership_revoked", _("Membership revoked")
    NODE_CREATED = "territory.node_created", _("Territory node created")
    BOUNDARY_DRAWN = "territory.boundary_drawn", _("Boundary drawn (grid, community or street)")
    TERRITORY_IMPORTED = "territory.imported", _("Territory imported")
    TERRITORY_EXPORTED = "territory.exported", _("Territory exported")
    BUILDING_CREATED = "territory.building_created", _("Building created")
    HOUSEHOLD_CREATED = "territory.household_created", _("Household created")
    DEMO_LOADED = "demo.loaded", _("Demo data loaded")
    PERSON_CREATED = "residents.person_created", _("Person registered")
    PERSON_UPDATED = "residents.person_updated", _("Person updated")
    PII_REVEALED = "residents.pii_revealed", _("Personal data revealed")
    # accounts
    ADMIN_BOOTSTRAPPED = "accounts.admin_bootstrapped", _("Administrator created from the command line")
    USER_EMAIL_CHANGED = "accounts.user_email_changed", _("Staff e-mail address set or cleared")
    # territory
    NODE_RENAMED = "territory.node_renamed", _("Territory node renamed")
    # audit
    AUDIT_EXPORTED = "audit.exported", _("Audit log exported")
    AUDIT_VERIFY_REQUESTED = "audit.verify_requested", _("Audit chain verification requested")
    # cases
    CASE_SUBMITTED = "cases.submitted", _("Case submitted")
    CASE_TRANSITION = "cases.transition", _("Case status changed")
    CASE_EVENT = "cases.event", _("Case event recorded")
    CASE_CONFIG_CHANGED = "cases.config_changed", _("Case configuration changed")
    CASE_CONTACT_REVEALED = "cases.contact_revealed", _("Case contact details revealed")
    # participation (elections)
    ELECTION_CREATED = "participation.election_created", _("Election created")
    ELECTION_CHANGED = "participation.election_changed", _("Election set-up changed")
    ELECTION_TRANSITION = "participation.election_transition", _("Election status changed")
    ELECTION_BOARD_REISSUED = "participation.board_reissued", _("Election bulletin board issued again")
    OBJECTION_SUBMITTED = "participation.objection_submitted", _("Objection to the voter roll submitted")
    OBJECTION_DECIDED = "participation.objection_decided", _("Objection to the voter roll decided")
    ELECTION_VOTED = "participation.voted", _("Voted")
    BALLOT_REPLACED = "participation.ballot_replaced", _("Ballot replaced")
    BOOTH_COUNT_ENTERED = "participation.booth_count_entered", _("Polling station count entered")
    RESIDENT_ACCOUNT_LINKED = "participation.resident_account_linked", _("Resident account linked")
    RUNOFF_STARTED = "participation.runoff_started", _("Run-off election started")
    # participation (surveys)
    SURVEY_CREATED = "participation.survey_created", _("Survey created")
    SURVEY_CHANGED = "participation.survey_changed", _("Survey changed")
    SURVEY_TRANSITION = "participation.survey_transition", _("Survey status changed")
    SURVEY_ANSWERED = "participation.survey_answered", _("Survey answered")
    CASES_EXPORTED = "cases.exported", _("Cases exported")
    # intelligence
    CLASSIFIER_RETRAINED = "intelligence.classifier_retrained", _("Classifier retrained")
    WARNING_RAISED = "intelligence.warning_raised", _("Early warning raised")
    WARNING_DECIDED = "intelligence.warning_decided", _("Early warning confirmed or dismissed")
    # residents (registry, personal data, import/export, retention, keys)
    PERSON_VIEWED = "residents.person_viewed", _("Resident record viewed")
    PERSONS_FOUND_BY_NUMBER = "residents.found_by_number", _("Residents looked up by ID number or mobile")
    PERSON_TAGS_CHANGED = "residents.tags_changed", _("Resident tags changed")
    HOUSEHOLD_INFO_UPDATED = "residents.household_info_updated", _("House information updated")
    VISIT_RECORDED = "residents.visit_recorded", _("Visit recorded")
    TAG_SAVED = "residents.tag_saved", _("Tag defined or changed")
    RESIDENTS_IMPORTED = "residents.imported", _("Residents imported")
    RESIDENTS_EXPORTED = "residents.exported", _("Residents exported")
    OWN_DATA_DOWNLOADED = "residents.own_data_downloaded", _("Resident downloaded own data")
    CORRECTION_REQUESTED = "residents.correction_requested", _("Correction requested")
    CORRECTION_DECIDED = "residents.correction_decided", _("Correction request decided")
    RETENTION_SWEPT = "residents.retention_swept", _("Retention sweep run")
    KEYS_ROTATED = "residents.keys_rotated", _("Encrypted values re-encrypted with the current key")
    # emergency
    ALERT_CHANGED = "emergency.alert_changed", _("Emergency alert drafted or changed")
    ALERT_TRANSITION = "emergency.alert_transition", _("Emergency alert status changed")
    MOBILISED = "emergency.mobilised", _("Check tasks generated for an alert")
    CHECK_RECORDED = "emergency.check_recorded", _("Check task outcome recorded")
    EMERGENCY_MODE_SWITCHED = "emergency.mode_switched", _("Emergency mode switched on or off")
    # analytics (assessment)
    ASSESSMENT_SET_SAVED = "assessment.set_saved", _("Assessment indicator set saved")
    ASSESSMENT_COMPUTED = "assessment.computed", _("Assessment computed")
    ASSESSMENT_PUBLISHED = "assessment.published", _("Assessment published")
    ASSESSMENT_CORRECTED = "assessment.corrected", _("Published assessment corrected")
    # participation (consultations)
    CONSULTATION_CREATED = "consultations.topic_created", _("Consultation topic created")
    CONSULTATION_CHANGED = "consultations.topic_changed", _("Consultation topic or its documents changed")
    CONSULTATION_TRANSITION = "consultations.transition", _("Consultation state changed")
    CONSULTATION_POSTED = "consultations.posted", _("Proposal or comment posted")
    CONSULTATION_SUPPORT = "consultations.support_changed", _("Support for a proposal given or withdrawn")
    CONSULTATION_MODERATED = "consultations.moderated", _("Proposal or comment hidden or restored")
    CONSULTATION_MEETING = "consultations.meeting_recorded", _("Council meeting recorded")
    CONSULTATION_OUTCOME = "consultations.outcome_changed", _("Decision or milestone recorded or changed")
    CONSULTATION_FOLLOW = "consultations.follow_changed", _("Topic followed or unfollowed")
    # disclosure (信息公开); add this app's actions only inside this block
    DISCLOSURE_CHANGED = "disclosure.changed", _("Disclosure drafted or changed")
    DISCLOSURE_TRANSITION = "disclosure.transition", _("Disclosure published, corrected or withdrawn")
    DISCLOSURE_QUESTION = "disclosure.question", _("Question on a disclosure asked or answered")
    # party (党建); add this app's actions only inside this block
    PARTY_ORG_CHANGED = "party.org_changed", _("Party organisation created or changed")
    PARTY_MEMBER_CHANGED = "party.member_changed", _("Party member registered, moved or changed")
    PARTY_ACTIVITY_CHANGED = "party.activity_changed", _("Party activity planned, changed or recorded")
    PARTY_MEMBERS_EXPORTED = "party.members_exported", _("Party member list exported")
    # services (服务找人); add this app's actions only inside this block
    SERVICE_CHANGED = "services.changed", _("Service or outreach rule changed")
    OUTREACH_GENERATED = "services.outreach_generated", _("Outreach tasks generated")
    OUTREACH_RECORDED = "services.outreach_recorded", _("Outreach task outcome recorded")
    OUTREACH_EXPORTED = "services.outreach_exported", _("Open outreach tasks exported")


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("Time"), db_index=True)
    # Plain ids and labels rather than foreign keys: the log outlives what it talks about and must
    # never be touched by an ON DELETE cascade.
    actor_id = models.BigIntegerField(_("Actor id"), null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("Actor"), max_length=150, blank=True)
    action = models.CharField(_("Action"), max_length=64, db_index=True)
    target_type = models.CharField(_("Target type"), max_length=64, blank=True)
    target_id = models.CharField(_("Target id"), max_length=64, blank=True)
    node_id = models.BigIntegerField(_("Node id"), null=True, blank=True, db_index=True)
    node_path = models.CharField(max_length=255, blank=True, db_index=True)
    details = models.JSONField(pgettext_lazy("audit event", "Details"), default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("Audit event")
        verbose_name_plural = _("Audit event")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action}"


class ChainVerification(models.Model):
    """One run of the chain verification started from the auditor page; the page shows the last one.

    A small table rather than the cache: the run happens in a worker process, and the cache is
    per process unless Redis is configured.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Could not run")

    requested_at = models.DateTimeField(_("Requested at"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("Requested by"),
    )
    status = models.CharField(_("Status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    finished_at = models.DateTimeField(_("Finished at"), null=True, blank=True)
    ok = models.BooleanField(_("Intact"), null=True)
    count = models.BigIntegerField(_("Events checked"), default=0)
    first_bad_id = models.BigIntegerField(_("First bad event"), null=True, blank=True)
    reason = models.CharField(pgettext_lazy("integrity check", "Reason"), max_length=32, blank=True)
    head_hash = models.CharField(_("Last hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("Chain verification")
        verbose_name_plural = _("Chain verification")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"
