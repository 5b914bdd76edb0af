"""A scripted OpenAI-compatible chat-completions server, so a real agent turn runs without a provider.

First turn (no tool result yet, ``exec`` offered): answer with one ``exec`` tool call running
``FakeLLM.command``. Once a tool result is in the conversation: answer with text quoting it, so the
test can read what the agent got back from the gateway.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLLM:
    """Runs in a daemon thread on 127.0.0.1; ``port`` is chosen by the OS."""

    def __init__(self, command: str = "echo approved-by-panel"):
        self.command = command
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server._send(self, 200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
                server.requests.append(body)
                server._answer(self, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()

    @staticmethod
    def _send(handler, code: int, obj: dict) -> None:
        body = json.dumps(obj).encode()
        handler.send_response(code)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _reply(self, body: dict) -> tuple[str | None, list | None]:
        messages = body.get("messages") or []
        tools = [(t.get("function") or {}).get("name") for t in body.get("tools") or []]
        results = [m for m in messages if m.get("role") == "tool"]
        if results:
            content = results[-1].get("content")
            return "Tool finished: " + (content if isinstance(content, str) else json.dumps(content)), None
        if "exec" in tools:
            call = {
                "index": 0,
                "id": "call_" + uuid.uuid4().hex[:12],
                "type": "function",
                "function": {"name": "exec", "arguments": json.dumps({"command": self.command})},
            }
            return None, [call]
        return "no exec tool offered", None

    def _answer(self, handler, body: dict) -> None:
        text, calls = self._reply(body)
        finish = "tool_calls" if calls else "stop"
        base = {"id": "chatcmpl-" + uuid.uuid4().hex[:10], "created": int(time.time()), "model": "fake-model"}
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        if not body.get("stream"):
            message = {"role": "assistant", "content": text}
            if calls:
                message["tool_calls"] = [{k: v for k, v in c.items() if k != "index"} for c in calls]
            choice = {"index": 0, "message": message, "finish_reason": finish}
            self._send(
                handler, 200, {**base, "object": "chat.completion", "usage": usage, "choices": [choice]}
            )
            return
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.end_headers()
        delta = (
            {"role": "assistant", "tool_calls": calls} if calls else {"role": "assistant", "content": text}
        )
        chunks = [
            {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]},
            {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": finish}],
                "usage": usage,
            },
        ]
        for chunk in chunks:
            handler.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()
