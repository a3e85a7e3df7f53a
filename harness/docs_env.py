"""The environment soak gives the target, for the reference page: every variable it sets, when, and
how to hand it to a service that reads other names. tests/unit/test_docs.py holds this list against
what harness/target.py and harness/interception/ really set."""

from __future__ import annotations

from harness.placeholders import PLACEHOLDERS

# (variable, value, when): in the order the target's environment is built.
INJECTED: tuple[tuple[str, str, str], ...] = (
    ("PORT", "a free loopback port", "always: the target must listen there"),
    ("HOST", "`127.0.0.1`", "always"),
    ("NODE_ENV", "`production`", "always"),
    ("TELEGRAM_BOT_TOKEN", "`target.telegram_token`", "always"),
    ("TELEGRAM_WEBHOOK_SECRET", "`target.webhook_secret`", "always: Locust sends it as Telegram does"),
    ("WEBHOOK_SECRET", "`target.callback_secret`", "always: the cursor-runner mock's callbacks carry it"),
    ("ELEVENLABS_API_KEY", "`target.elevenlabs_api_key`", "always"),
    ("TMPDIR", "the run's private temporary directory (0700)", "always: temp files are counted there"),
    ("REDIS_URL", "`redis://127.0.0.1:<port>/0`, the run's own Redis", "always"),
    ("REDIS_READY_CHECK", "`0` on fakeredis, `1` on redis-server", "always"),
    ("CURSOR_RUNNER_URL", "`http://127.0.0.1:<port>`, the cursor-runner mock", "always"),
    ("NODE_EXTRA_CA_CERTS", "the run's CA certificate (PEM)", "every interception mode"),
    ("NODE_OPTIONS", "what the shell had, plus `--require <preload.js>` (interception and the egress "
     "guard) and `--inspect=127.0.0.1:0` (the runtime probe, unless `collector.inspector = false`)", "always"),
    ("SOAK_INTERCEPT_MAP", "JSON: real host:port -> mock address", "every mode (empty map in proxy, base-url)"),
    ("SOAK_EVENTS_FILE", "the run's events.jsonl, where the preload records refused connections", "every mode"),
    ("SOAK_EVENTS_T0", "the run's start (Unix time), for the preload's timestamps", "every mode"),
    ("HTTP_PROXY, HTTPS_PROXY, http_proxy, https_proxy", "empty (node-preload, base-url), or the loopback "
     "proxy's URL (proxy)", "every mode: the shell's own proxy never applies"),
    ("NO_PROXY, no_proxy", "`localhost,127.0.0.1,::1`", "`interception.mode = \"proxy\"`"),
    ("TELEGRAM_API_BASE, ELEVENLABS_API_BASE", "the mocks' TLS URLs, `https://127.0.0.1:<port>` (names from "
     "`interception.base_url_env`)", "`interception.mode = \"base-url\"`"),
)  # fmt: skip

MAPPING = """\
## The environment of the target

The target starts with soak's own environment, then the variables below (they win over the
shell's), then the profile's `[target.env]` (which wins over both: a profile can override any of
them, and the report of a run that sends traffic elsewhere shows the egress guard refusing it).

| variable | value | set |
|---|---|---|
{rows}

### A service that reads other names

`[target.env]` values may hold placeholders, filled when the target starts, so a service that reads
`APP_PORT` and `CACHE_URL` gets what soak injects under its own names:

```toml
[target.env]
APP_PORT = "{{port}}"
CACHE_URL = "{{redis_url}}"
TELEGRAM_API_ROOT = "{{telegram_url}}"  # with interception.mode = "base-url"
```

| placeholder | stands for |
|---|---|
{placeholders}

A placeholder soak does not know is refused when the profile loads. `{{{{name}}}}` is a literal
`{{name}}`; other braces (JSON in a value) are left alone.
"""


def environment_section() -> str:
    rows = "\n".join(f"| `{name}` | {value} | {when} |" for name, value, when in INJECTED)
    placeholders = "\n".join(f"| `{{{name}}}` | {meaning} |" for name, meaning in PLACEHOLDERS.items())
    return MAPPING.format(rows=rows, placeholders=placeholders)


def documented_names() -> set[str]:
    """Every variable name the table documents."""
    return {name.strip() for names, _, _ in INJECTED for name in names.split(",")}
