#!/usr/bin/env python3
"""A local SMTP sink on loopback (PyPI aiosmtpd): accepts every mail and prints it.

Used by the tests (one JSON line per mail, --json) and by `make run` (a readable
summary per mail), so a newcomer sees the mails Countersign sends. Prints
"READY <port>" once it listens. Never relays anything anywhere.
"""

import argparse
import asyncio
import json
from email import message_from_bytes, policy

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, as_json):
        self.as_json = as_json

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_to": envelope.rcpt_tos,
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "subject": str(msg.get("Subject", "")),
            "headers": {k: str(v) for k, v in msg.items()},
            "text": text.get_content() if text else "",
            "html": html.get_content() if html else "",
        }
        if self.as_json:
            print(json.dumps(record), flush=True)
        else:
            bar = "─" * 72
            print(f"\n{bar}\n📧 mail to {', '.join(envelope.rcpt_tos)}\n"
                  f"   Subject: {record['subject']}\n{bar}\n{record['text'].rstrip()}\n{bar}",
                  flush=True)
        return "250 Message accepted"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Sink(args.json), hostname="countersign-sink"), args.host, args.port
    )
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
