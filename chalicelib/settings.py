"""Every setting Hearback reads, in one pydantic-settings object.

Read lazily through :func:`get_settings` (never at import time): Chalice's test client
and the local runner set environment variables after modules are imported.
Secrets have no default here on purpose: a deployed function with a missing secret
must refuse webhooks, not verify them against a well-known development value. The
local runner (``chalicelib.local``) supplies development values and prints them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_ISSUES = "economy,healthcare,housing,education,environment,public_safety,immigration,taxes,transportation"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Where providers reach us; webhook signatures are checked against it.
    public_base_url: str = "http://127.0.0.1:8000"
    campaign_name: str = "Our campaign"
    campaign_issues: str = DEFAULT_ISSUES

    # Providers (secrets: environment locally, SSM Parameter Store in AWS).
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_phone_number: str | None = None
    meta_app_secret: str | None = None
    meta_verify_token: str | None = None
    meta_page_access_token: str | None = None
    whatsapp_access_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    x_consumer_key: str | None = None
    x_consumer_secret: str | None = None
    x_access_token: str | None = None
    x_access_token_secret: str | None = None
    x_user_id: str | None = None
    # In AWS: the SSM path under which the secrets above live (e.g. /hearback/prod/).
    secrets_parameter_path: str | None = None

    organizer_token: str | None = None
    outbound: Literal["outbox", "live"] = "outbox"
    aws_endpoint_url: str | None = None
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_DEFAULT_REGION")

    # Resources (created by the template in AWS, by the local stack locally).
    table_name: str = "hearback"
    outbound_queue_name: str = "hearback-outbound"
    outbound_dlq_name: str = "hearback-outbound-dlq"
    exports_bucket: str = "hearback-exports"

    # Follow-up work.
    task_sla_minutes: int = 60
    task_lease_minutes: int = 15
    task_queue_shards: int = Field(default=4, ge=1, le=64)
    dedupe_ttl_days: int = Field(default=14, ge=8)

    # -- people, stance, exports ---------------------------------------------------------
    # The export job queue's name is also fixed in chalicelib/api/exports.py (Chalice reads
    # queue names when the app is imported, before settings exist).
    export_jobs_queue_name: str = "hearback-exports"
    export_jobs_dlq_name: str = "hearback-exports-dlq"
    # Above this an HTTP export asks for an export job (Lambda answers at most 6 MB).
    export_inline_max_bytes: int = Field(default=5_000_000, ge=1000)
    # The stats snapshot is recomputed by a scheduled job; older than this, on demand.
    stats_max_age_minutes: int = Field(default=30, ge=1)
    stats_window_days: int = Field(default=30, ge=1, le=366)
    # Volunteers answer: sending hours, escalation, the outbound worker.
    sending_hours_start: str = "09:00"
    sending_hours_end: str = "20:00"
    # When neither the ZIP nor the number's area code tells the recipient's zone.
    default_timezone: str = "America/New_York"
    # Past due, on-shift volunteers are told at once; organizers this much later.
    escalate_to_organizers_minutes: int = Field(default=30, ge=0)
    # Below the dead-letter queue's receive count, so a failing message ends failed with its reason.
    send_max_attempts: int = Field(default=4, ge=1, le=4)
    send_lease_seconds: int = Field(default=30, ge=5, le=55)

    # What constituents read. {campaign} is replaced by campaign_name.
    ack_text: str = "Thanks for writing to {campaign}. A volunteer will get back to you soon."
    first_contact_notice: str = "Reply STOP to opt out."
    help_text: str = "{campaign}: a volunteer answers messages here. Reply STOP to opt out, START to opt back in."

    # -- channels: voice, Meta, X, email -------------------------------------------
    # Per-channel overrides of the texts above: ack_text_<channel>, first_contact_notice_<channel>
    # (None: use the general text). Read through channel_text(), so services never branch on names.
    ack_text_voice: str | None = (
        "Thanks for calling {campaign}. Please leave your name and message after the tone; "
        "a volunteer will get back to you soon."
    )
    ack_text_whatsapp: str | None = None
    ack_text_messenger: str | None = None
    ack_text_instagram: str | None = None
    ack_text_x: str | None = None
    ack_text_email: str | None = None
    # "Reply STOP" only means something where keywords are read: not on a call, not in email.
    first_contact_notice_voice: str | None = ""
    first_contact_notice_messenger: str | None = ""
    first_contact_notice_instagram: str | None = ""
    first_contact_notice_x: str | None = ""
    first_contact_notice_email: str | None = ""
    # Voice: the spoken acknowledgement's voice and language (Twilio <Say>), voicemail length.
    voice_say_voice: str = "Polly.Joanna"
    voice_language: str = "en-US"
    voice_max_recording_seconds: int = Field(default=120, ge=2, le=120)
    voice_goodbye_text: str = "Thank you. Goodbye."
    # Meta Graph API (Messenger, Instagram, WhatsApp Cloud).
    meta_graph_url: str = "https://graph.facebook.com/v21.0"
    # X API v2 (direct messages).
    x_api_url: str = "https://api.x.com/2"
    # Email: SES sends from this address; inbound mail arrives on this SNS topic.
    email_from_address: str | None = None
    email_subject: str = "Your message to {campaign}"
    inbound_email_topic_arn: str | None = None

    def channel_text(self, name: str, channel: str) -> str:
        """The text ``name`` for a channel: its ``<name>_<channel>`` override, else the general one."""
        override = getattr(self, f"{name}_{channel}", None)
        return self.render(override if override is not None else getattr(self, name))

    # -- end channels ------------------------------------------------------------------------

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def issue_slugs(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.campaign_issues.split(",") if s.strip())

    def render(self, template: str) -> str:
        return template.replace("{campaign}", self.campaign_name)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
