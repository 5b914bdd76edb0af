"""Record real gateway frames for the gateway tests (tests/fixtures/gateway/).

Usage: .venv/bin/python tools/oracle/record_gateway.py

Starts one loopback gateway (node + openclaw from ../shared/tools/openclaw-peer, the same helper the
integration tests use), pairs a fresh device with `openclaw devices approve`, and writes:

- hello-ok.json            the hello-ok payload (features lists dropped; device token redacted)
- pairing-required.json    the error a new device gets under strict pairing
- config-patch-stale.json  the error for config.patch on a stale base hash
- config-patch-invalid.json the error for an invalid value (per-path issues)

Ids, tokens and timestamps are real values from one run; secrets are replaced by "<redacted>".
CI does not run this script; the tests read the committed output.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from controlpanel.gatewayclient import (  # noqa: E402
    ConnectOptions,
    DeviceIdentity,
    GatewayError,
    PairingRequired,
    connect,
)
from tests.gateway.fake_llm import FakeLLM  # noqa: E402
from tests.gateway.realgw import ensure_installed, new_gateway  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "gateway"


def _error(exc: GatewayError) -> dict:
    return {"code": exc.code, "message": exc.message, "details": exc.details}


async def record(gateway) -> dict[str, dict]:
    identity = DeviceIdentity.generate()
    options = ConnectOptions(url=gateway.url, identity=identity, token=gateway.token)
    files: dict[str, dict] = {}
    try:
        await connect(options)
    except PairingRequired as exc:
        files["pairing-required.json"] = _error(exc)
        done = gateway.cli("devices", "approve", exc.request_id)
        assert done.returncode == 0, done.stderr
    conn = await connect(options)
    hello = dict(conn.hello)
    hello.pop("features", None)
    hello["auth"] = {**hello.get("auth", {}), "deviceToken": "<redacted>"}
    files["hello-ok.json"] = hello
    config = await conn.call("config.get")
    for name, params in [
        (
            "config-patch-stale.json",
            {"raw": '{"logging": {"file": "/tmp/x.log"}}', "baseHash": "hmac-sha256:v1:stale"},
        ),
        (
            "config-patch-invalid.json",
            {"raw": '{"tools": {"exec": {"ask": "sometimes"}}}', "baseHash": config["hash"]},
        ),
    ]:
        try:
            await conn.call("config.patch", params)
        except GatewayError as exc:
            files[name] = _error(exc)
    await conn.close()
    return files


def main() -> None:
    ensure_installed()
    llm = FakeLLM()
    gateway = new_gateway(Path(tempfile.mkdtemp(prefix="record-gateway-")))
    gateway.start(llm_port=llm.port)
    try:
        files = asyncio.run(record(gateway))
    finally:
        gateway.stop()
        llm.stop()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        text = json.dumps(data, indent=2, sort_keys=True).replace(gateway.token, "<redacted>")
        (OUT / name).write_text(text + "\n")
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
