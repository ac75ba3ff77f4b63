"""Settings read from the environment (prefix ``GRIDGOV_``).

Every setting has a default so that a fresh clone runs with no configuration. The README's
configuration table is generated from the field descriptions here (a test keeps it in sync).
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDGOV_", extra="ignore")

    var_dir: Path = Field(
        default=PROJECT_ROOT / "var",
        description="Directory for the SQLite database, the generated secret key and uploads.",
    )
    database_url: str = Field(
        default="",
        description=(
            "SQLAlchemy URL. Empty means SQLite in WAL mode at `<var_dir>/gridgov.db`; "
            "`postgresql+psycopg://user@host/db` switches to PostgreSQL."
        ),
    )
    secret_key: str = Field(
        default="",
        description=(
            "Signs access tokens and page sessions. Empty means a random key generated once "
            "and kept in `<var_dir>/secret_key`."
        ),
    )
    data_key: str = Field(
        default="",
        description=(
            "Base64 of 32 bytes that encrypts ID numbers and phones at rest and keys their "
            "search hashes. Empty means a random key generated once and kept in "
            "`<var_dir>/data_key`. Losing it makes stored personal data unreadable."
        ),
    )
    demo_password: str = Field(
        default="gridgov-demo",
        description="Password of every demo account created by `gridgov seed`.",
    )
    access_token_minutes: int = Field(
        default=480, ge=1, description="Lifetime of a bearer token from /api/v1/auth/login."
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description=(
            "Failed logins allowed per username within the window "
            "(one client address may fail four times as often)."
        ),
    )
    login_failure_window_seconds: int = Field(
        default=900, ge=1, description="Window over which failed logins are counted."
    )
    timezone: str = Field(
        default="Asia/Shanghai", description="Time zone in which times are shown (stored in UTC)."
    )
    holidays: str = Field(
        default="",
        description="Public holidays (comma-separated YYYY-MM-DD) that deadlines skip.",
    )
    extra_workdays: str = Field(
        default="",
        description="Weekend days worked in exchange for holidays (调休), comma-separated.",
    )
    sla_warning_share: float = Field(
        default=0.8,
        gt=0,
        lt=1,
        description="Share of a case's time limit after which it turns yellow (warning).",
    )
    duplicate_radius_m: float = Field(
        default=100,
        gt=0,
        le=5000,
        description="A new case is flagged as a possible duplicate of an open case of the same "
        "category within this many metres…",
    )
    duplicate_window_hours: float = Field(
        default=72,
        gt=0,
        le=24 * 90,
        description="…reported within this many hours before it.",
    )
    self_settle_check_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of 自办结 cases (settled on the spot) drawn for a check.",
    )
    routing_auto_sources: str = Field(
        default="citizen,hotline,sensor",
        pattern=r"^[a-z_]*(,[a-z_]+)*$",
        description="Comma-separated sources whose new cases routing decides at intake (and "
        "dispatches with no operator when a rule or a confident model allows). Empty: off.",
    )
    routing_classify_min_confidence: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="The text model classifies a case reported without a category when it is "
        "at least this sure; otherwise the keyword rules do.",
    )
    routing_train_max_cases: int = Field(
        default=20_000,
        ge=100,
        description="Newest cases one training of the routing model reads (the newest 20% "
        "are held out to measure it).",
    )
    routing_retrain_hours: float = Field(
        default=168,
        ge=0,
        description="How often the background job retrains the routing model from closed cases "
        "and corrections (0: never; `gridgov routing train` still works).",
    )
    export_max_rows: int = Field(
        default=100_000,
        gt=0,
        description="Most cases one CSV/XLSX export may hold (narrow the filters for more).",
    )
    map_tile_url: str = Field(
        default="",
        description=(
            "Raster tile URL template (`…/{z}/{x}/{y}.png`) of a tile service on your own "
            "network, drawn under the map's layers. Empty: the district's own layers are the "
            "base map and the map makes no external request."
        ),
    )
    track_max_accuracy_m: float = Field(
        default=50,
        gt=0,
        description="Patrol tracks: a GPS fix whose reported accuracy is worse than this many "
        "metres is dropped as noise.",
    )
    track_max_speed_mps: float = Field(
        default=15,
        gt=0,
        description="Patrol tracks: a fix that could only be reached from the last kept one "
        "above this speed (m/s) is dropped as a jump.",
    )
    track_stop_minutes: float = Field(
        default=5,
        gt=0,
        description="Patrol tracks: staying within 30 m for at least this many minutes is a stop.",
    )
    track_coverage_radius_m: float = Field(
        default=50,
        gt=0,
        le=1000,
        description="Patrol tracks: a grid's coverage is the share of its area within this "
        "many metres of the track.",
    )
    track_retention_days: int = Field(
        default=90,
        ge=1,
        description="Days raw GPS fixes are kept; a patrol's statistics and simplified path "
        "stay after they are pruned.",
    )
    on_duty_timeout_minutes: float = Field(
        default=15,
        gt=0,
        description="A worker checked in or patrolling counts as on duty while their latest "
        "fix (or check-in) is at most this many minutes old.",
    )
    network_sliver_share: float = Field(
        default=0.05,
        ge=0,
        lt=1,
        description="A departmental unit covering less than this share of a basic grid is "
        "reported as a sliver by the network overlay report.",
    )
    analytics_rollup_minutes: float = Field(
        default=5,
        ge=0,
        description="How often the background job brings the analytics rollups up to date with "
        "the cases changed since its last run (0: never; `gridgov analytics rollup` still "
        "works).",
    )
    alerts_scan_minutes: float = Field(
        default=30,
        ge=0,
        description="How often the early-warning scan runs (abnormal rises, recurrences, SLA "
        "risk, overdue visits; 0: never; `gridgov alerts scan` still works).",
    )
    alert_sensitivity: float = Field(
        default=3.0,
        gt=0,
        description="Abnormal-rise threshold: how many standard deviations today's or the last "
        "7 days' count of a category in a street or community must exceed the same window of "
        "past weeks (lower: more alerts).",
    )
    alert_min_count: int = Field(
        default=5,
        ge=1,
        description="An abnormal rise needs at least this many cases in the window (so 0 → 2 "
        "is never an alert).",
    )
    alert_baseline_weeks: int = Field(
        default=8,
        ge=2,
        le=52,
        description="How many past weeks' same window the abnormal-rise baseline averages.",
    )
    alert_recurrence_count: int = Field(
        default=3,
        ge=2,
        description="Reports of one category at one spot (or one city component) that make a "
        "recurrence alert.",
    )
    alert_recurrence_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="The period within which repeated reports count as a recurrence.",
    )
    alert_recurrence_radius_m: float = Field(
        default=50,
        gt=0,
        le=1000,
        description="Reports within this many metres of a group's first report are the same spot.",
    )
    alert_sla_threshold: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="An open case is flagged at risk of breaching its deadline when the "
        "predicted probability of closing late reaches this.",
    )
    serve_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes of `gridgov serve` (its `--workers`). More than one needs "
        "`GRIDGOV_REDIS_URL`, through which they share live updates; the background jobs then "
        "run once, in the process that started them.",
    )
    jobs: str = Field(
        default="inprocess",
        pattern="^(inprocess|off)$",
        description=(
            "Where background jobs (the SLA scan) run: `inprocess` inside `gridgov serve`, or "
            "`off` when a separate `gridgov worker` process runs them."
        ),
    )
    alarm_webhook_secret: str = Field(
        default="",
        description=(
            "Shared secret of the sensor/video alarm webhook `POST /api/v1/webhooks/alarms` "
            "(HMAC-SHA256 signature). Empty disables the webhook (503 `webhook_disabled`)."
        ),
    )
    alarm_webhook_tolerance_seconds: int = Field(
        default=300,
        ge=1,
        le=3600,
        description="How far an alarm's signed timestamp may be from the server clock (replay).",
    )
    host: str = Field(default="127.0.0.1", description="Address `gridgov serve` binds to.")
    port: int = Field(default=8000, description="Port `gridgov serve` and `gridgov demo` use.")
    secure_cookies: bool = Field(
        default=False,
        description="Mark the page session cookie Secure (set true behind HTTPS).",
    )
    media_dir: str = Field(
        default="",
        description="Directory for uploaded photos and videos. Empty means `<var_dir>/media`.",
    )
    media_max_image_mb: float = Field(
        default=10, gt=0, description="Largest photo (JPEG, PNG, WebP) one upload may be, in MB."
    )
    media_max_video_mb: float = Field(
        default=100, gt=0, description="Largest video (MP4, MOV, WebM) one upload may be, in MB."
    )
    media_max_megapixels: float = Field(
        default=64,
        gt=0,
        description="Largest photo in millions of pixels (refuses decompression bombs).",
    )
    mediation_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Days a dispute may take from registration to an outcome before it is "
        "escalated to the next mediation level (community → street → district).",
    )
    mediation_warning_days: int = Field(
        default=5,
        ge=0,
        le=60,
        description="Days before a dispute's time limit that the mediators are warned.",
    )
    pdf_font: str = Field(
        default="",
        description="TrueType (.ttf/.ttc) CJK font for generated PDFs such as 人民调解协议书. "
        "Empty means the first found of WenQuanYi Micro Hei / Zen Hei (Debian "
        "`fonts-wqy-microhei`).",
    )
    redis_url: str = Field(
        default="",
        description="Redis URL (`redis://host:6379/0`) through which several app processes "
        "share live updates (video call signalling, who is online). Empty: in-process, "
        "which is right for one `gridgov serve` process.",
    )
    webrtc_ice_servers: str = Field(
        default="[]",
        description="ICE servers of video calls as a JSON list of RTCIceServer objects, e.g. "
        '`[{"urls": "stun:stun.example.internal:3478"}, {"urls": "turn:turn.example.internal",'
        ' "username": "u", "credential": "p"}]`. Empty list: none, enough on one LAN.',
    )
    call_ring_seconds: int = Field(
        default=45,
        ge=5,
        le=600,
        description="How long a video call rings before it is recorded as missed.",
    )

    @field_validator("webrtc_ice_servers")
    @classmethod
    def _ice_servers_parse(cls, text: str) -> str:
        # Refuse a malformed list at start-up rather than when the first call is placed.
        cls.ice_servers(text)
        return text

    @staticmethod
    def ice_servers(text: str) -> list[dict[str, object]]:
        servers = json.loads(text or "[]")
        if not isinstance(servers, list) or not all(
            isinstance(s, dict) and isinstance(s.get("urls"), str | list) for s in servers
        ):
            raise ValueError("GRIDGOV_WEBRTC_ICE_SERVERS must be a JSON list of {urls, ...}")
        return servers

    @property
    def effective_media_dir(self) -> Path:
        return Path(self.media_dir) if self.media_dir else self.var_dir / "media"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'gridgov.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @field_validator("holidays", "extra_workdays")
    @classmethod
    def _dates_parse(cls, text: str) -> str:
        # Refuse a bad date at start-up rather than at the first deadline computed.
        cls.dates(text)
        return text

    @staticmethod
    def dates(text: str) -> frozenset[date]:
        return frozenset(
            date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()
        )

    def effective_secret_key(self) -> str:
        return self.secret_key or self._generated_key("secret_key", secrets.token_urlsafe(48))

    def effective_data_key(self) -> bytes:
        text = self.data_key or self._generated_key(
            "data_key", base64.b64encode(secrets.token_bytes(32)).decode()
        )
        key = base64.b64decode(text)
        if len(key) != 32:
            raise ValueError("GRIDGOV_DATA_KEY must be base64 of exactly 32 bytes")
        return key

    def _generated_key(self, name: str, fresh: str) -> str:
        """A key made once per installation and kept beside the database, readable by us only.
        Read from disk once per process: every token check asks for it."""
        key_file = self.var_dir / name
        known = _generated_keys.get(key_file)
        if known is not None:
            return known
        if not key_file.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(fresh)
            key_file.chmod(0o600)
        key = _generated_keys[key_file] = key_file.read_text().strip()
        return key


_generated_keys: dict[Path, str] = {}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_table() -> str:
    """The README's configuration table, generated so that the two cannot drift apart."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if name == "var_dir":
            shown = "`var/` in the checkout"
        elif default in ("", None):
            shown = "(empty)"
        else:
            shown = f"`{str(default).lower() if isinstance(default, bool) else default}`"
        lines.append(f"| `GRIDGOV_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(lines)
