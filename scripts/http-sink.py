#!/usr/bin/env python3
"""A small webhook for the HTTP output's tests and benchmark: it answers POSTs and logs each one.

    http-sink.py --port-file F [--log F] [--max-body BYTES] [--fail-first N] [--status CODE] [--port P]
                 [--tls-cert CERT --tls-key KEY]

Each request becomes one JSON line in --log: {"n", "status", "bytes", "rows", "authorization", "body"}
(body: the posted JSON array, for answers of 2xx). Answers:
  --status CODE     every request gets CODE;
  --fail-first N    the first N requests get 500;
  --max-body BYTES  bodies larger than this get 413.
Otherwise 200. It binds 127.0.0.1 on --port (0: any free port) and writes the port to --port-file;
with --tls-cert and --tls-key it serves HTTPS.
"""
import argparse
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--port-file", required=True)
parser.add_argument("--log")
parser.add_argument("--max-body", type=int)
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--status", type=int)
parser.add_argument("--tls-cert")
parser.add_argument("--tls-key")
args = parser.parse_args()

lock = threading.Lock()
count = 0
log = open(args.log, "a", buffering=1) if args.log else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint

    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            count += 1
            n = count
        if args.status:
            status = args.status
        elif n <= args.fail_first:
            status = 500
        elif args.max_body is not None and len(body) > args.max_body:
            status = 413
        else:
            status = 200
        entry = {"n": n, "status": status, "bytes": len(body), "authorization": self.headers.get("Authorization")}
        if 200 <= status < 300:
            rows = json.loads(body)
            entry["rows"] = len(rows)
            entry["body"] = rows
        if log:
            with lock:
                log.write(json.dumps(entry) + "\n")
        answer = b"ok\n" if status == 200 else b"refused by http-sink.py\n"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_):
        pass


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
if args.tls_cert:
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))

os.replace(args.port_file + ".tmp", args.port_file)
server.serve_forever()
