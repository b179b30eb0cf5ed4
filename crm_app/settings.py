"""Application settings, read from the environment (prefix ``CRM_``) and ``.env``."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of crm_app; one instance, ``settings``."""

    model_config = SettingsConfigDict(env_prefix="CRM_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'data' / 'crm.db'}",
        description="SQLAlchemy URL; sqlite:///path or postgresql+psycopg://...",
    )
    port: int = 3000
    public_url: str = ""
    allowed_origins: str = ""
    default_locale: str = "en"
    session_idle_hours: float = 12.0
    session_remember_days: float = 30.0
    host: str = "127.0.0.1"
    trusted_proxy_hops: int = 0
    login_max_failures: int = 5
    login_window_minutes: int = 15
    login_max_delay_minutes: int = 15
    login_address_max_failures: int = 50
    demo_admin_email: str = "admin@example.com"
    bootstrap_admin_email: str = ""
    bootstrap_admin_password: str = ""
    upload_dir: Path = PROJECT_ROOT / "data" / "files"
    max_upload_mb: int = 20
    max_import_mb: int = 50
    max_import_rows: int = 1_000_000
    import_batch_size: int = 4000

    def origin_allow_list(self) -> list[str]:
        """Origins allowed to open the websocket and call the API."""
        if self.allowed_origins:
            return [o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()]
        origins = {f"http://localhost:{self.port}", f"http://127.0.0.1:{self.port}"}
        if self.public_url:
            origins.add(self.public_url.rstrip("/"))
        return sorted(origins)


settings = Settings()
