"""A memory webhook receiver for memory-cron, standard library only (Python 3.8+).

It verifies the Standard Webhooks signature, drops a conversation it already has (deduplicating on
webhook-id), stores each new one as a file in INBOX_DIR and answers 202 at once; the slow work (an LLM
extracting facts) reads the inbox later.

    WEBHOOK_SECRET=whsec_... PORT=8080 INBOX_DIR=./inbox python3 examples/receiver.py

One JSON line per event on stdout: listening, accepted, duplicate, refused. See docs/receiver.md.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ.get("WEBHOOK_SECRET", "")
INBOX = os.environ.get("INBOX_DIR", "inbox")
PORT = int(os.environ.get("PORT", "8080"))
HOST = os.environ.get("HOST", "127.0.0.1")
TOLERANCE_SECONDS = 5 * 60  # the Standard Webhooks default: a replayed old request is refused
SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")

os.makedirs(INBOX, mode=0o700, exist_ok=True)
# The ids already stored survive a restart: the inbox's file names are the deduplication record.
seen = {name[:-5] for name in os.listdir(INBOX) if name.endswith(".json")}
lock = threading.Lock()


def say(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def signing_key(text):
    """A whsec_ secret is base64 after its prefix; any other secret is used as its UTF-8 bytes."""
    return base64.b64decode(text[6:]) if text.startswith("whsec_") else text.encode("utf-8")


def verify(headers, body):
    """Standard Webhooks: v1 = base64 HMAC-SHA256 of "id.timestamp.body". Returns why it fails, or None."""
    if SECRET == "":
        return None  # unsigned deliveries (WEBHOOK_SECRET unset on both sides)
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
            return "timestamp too old or too new"
    except ValueError:
        return "timestamp is not a number"
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(signing_key(SECRET), signed, hashlib.sha256).digest()).decode()
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return None
    return "no valid v1 signature"


class Receiver(BaseHTTPRequestHandler):
    def do_HEAD(self):  # memory-cron check sends a HEAD: any answer is fine
        self.send_response(405)
        self.send_header("Allow", "POST")
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        refused = verify(self.headers, body)
        if refused is not None:
            say({"event": "refused", "reason": refused})
            return self.answer(401, refused)
        msg_id = self.headers.get("webhook-id", "")
        if not SAFE_ID.match(msg_id) or msg_id.startswith("."):
            return self.answer(400, "bad webhook-id")
        with lock:
            if msg_id in seen:
                say({"event": "duplicate", "id": msg_id})  # a resend after a timeout or a crash
                return self.answer(202)
            conversation = json.loads(body)
            temporary = os.path.join(INBOX, "." + msg_id + ".json.tmp")
            with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
                out.write(body)
            os.replace(temporary, os.path.join(INBOX, msg_id + ".json"))  # stored whole, before the 202
            seen.add(msg_id)
        say({"event": "accepted", "id": msg_id, "messages": len(conversation["messages"]), "continues": conversation["continues"]})
        self.answer(202)

    def answer(self, status, text=""):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # the JSON events above are the log
        pass


def main():
    server = ThreadingHTTPServer((HOST, PORT), Receiver)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    say({"event": "listening", "url": "http://%s:%d/hook" % (HOST, server.server_address[1]), "signed": SECRET != ""})
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()


if __name__ == "__main__":
    main()
