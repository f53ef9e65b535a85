#!/usr/bin/env python3
"""Checks the deployment example (Dockerfile, deploy/) with what this machine has.

Run by scripts/test.sh after the Rust tests (it needs target/debug/countersign):
  - deploy/nginx.conf: `nginx -t` with Debian's nginx, its paths moved to a temp
    dir, the replicas' names to loopback, a throw-away self-signed certificate;
    only idempotent requests retried (no `non_idempotent`);
  - deploy/compose.yaml: parsed as YAML; PostgreSQL, two replicas from the
    Dockerfile and nginx with this nginx.conf, each with a healthcheck; every
    variable it sets is one the binary reads;
  - Dockerfile: every COPY source exists (or is built by scripts/build.sh), the
    user is not root, a HEALTHCHECK on /healthz, every ENV a known variable.
    No docker daemon here: the image itself is not built;
  - deploy/countersign.service: `systemd-analyze verify` (paths moved to this
    build), then its ExecStartPre and ExecStart run with its environment: the
    server says it is running and answers /healthz, and stops on SIGTERM.
Exits non-zero naming the first thing that does not hold.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "target" / "debug" / "countersign"
# Built by scripts/build.sh inside the image's build stage.
BUILT = {"target/release/countersign", "target/site"}


def fail(message):
    print(f"check_deploy: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def known_variables():
    """Every environment variable the binary reads: the names in its sources."""
    names = {"DATABASE_URL", "RUST_LOG"}
    pattern = re.compile(r'"((?:COUNTERSIGN|OIDC)_[A-Z0-9_]+)"')
    for source in [*(ROOT / "src").rglob("*.rs"), *(ROOT / "app" / "src").rglob("*.rs")]:
        names.update(pattern.findall(source.read_text()))
    return names


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_nginx(tmp):
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    check("proxy_next_upstream error timeout http_502 http_503;" in conf,
          "nginx.conf: retries on error, timeout, 502 and 503 only")
    directives = [line.split("#")[0] for line in conf.splitlines()]
    check(not any("non_idempotent" in line for line in directives),
          "nginx.conf retries non-idempotent requests")
    check("X-Forwarded-For $remote_addr" in conf, "nginx.conf must replace X-Forwarded-For")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    check(os.path.exists(nginx), "nginx is not installed (scripts/setup.sh installs it)")
    tls = tmp / "tls"
    tls.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=countersign.example.com",
         "-keyout", tls / "privkey.pem", "-out", tls / "fullchain.pem"],
        check=True, capture_output=True)
    (tmp / "logs").mkdir()
    moved = (conf.replace("/etc/nginx/tls", str(tls))
             .replace("/var/log/nginx", str(tmp / "logs"))
             .replace("/run/nginx.pid", str(tmp / "nginx.pid"))
             .replace("countersign-1:3000", f"127.0.0.1:{free_port()}")
             .replace("countersign-2:3000", f"127.0.0.1:{free_port()}"))
    moved = moved.replace("http {", "http {\n" + "".join(
        f"    {kind}_temp_path {tmp / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")), 1)
    (tmp / "nginx.conf").write_text(moved)
    result = subprocess.run([nginx, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                            capture_output=True, text=True)
    check(result.returncode == 0, f"nginx -t refused deploy/nginx.conf:\n{result.stderr}")
    print("deploy/nginx.conf: nginx -t OK")


def check_compose(known):
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    check({"db", "countersign-1", "countersign-2", "nginx"} <= set(services),
          f"compose.yaml services: {sorted(services)}")
    check(services["db"]["image"].startswith("postgres:"), "db is PostgreSQL")
    nginx_conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for name in ("countersign-1", "countersign-2"):
        replica = services[name]
        check(replica["build"]["dockerfile"] == "Dockerfile"
              and (ROOT / "deploy" / replica["build"]["context"] / "Dockerfile").is_file(),
              f"{name} is built from the Dockerfile")
        env = replica["environment"]
        unknown = set(env) - known
        check(not unknown, f"{name} sets variables the binary does not read: {unknown}")
        check(env["DATABASE_URL"].startswith("postgres://"), f"{name} uses PostgreSQL")
        check(env["COUNTERSIGN_PUBLIC_URL"].startswith("https://"), f"{name} is reached over https")
        check("/healthz" in " ".join(replica["healthcheck"]["test"]), f"{name} healthcheck")
        check(replica["depends_on"]["db"]["condition"] == "service_healthy", f"{name} waits for db")
        check(f"server {name}:3000" in nginx_conf, f"nginx.conf sends requests to {name}")
        proxy = services["nginx"]["networks"]["backend"]["ipv4_address"]
        check(env["COUNTERSIGN_TRUSTED_PROXIES"] == proxy,
              f"{name} trusts nginx's address ({proxy}) for X-Forwarded-For")
        grace = int(env["COUNTERSIGN_SHUTDOWN_GRACE_SECS"])
        check(int(replica["stop_grace_period"].rstrip("s")) > grace,
              f"{name}: docker's stop_grace_period must outlast the shutdown grace")
    for name in ("db", "nginx"):
        check("healthcheck" in services[name], f"{name} has a healthcheck")
    check("./nginx.conf:/etc/nginx/nginx.conf:ro" in services["nginx"]["volumes"],
          "nginx mounts deploy/nginx.conf")
    print("deploy/compose.yaml: services, healthchecks and variables OK")


def check_dockerfile(known):
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    instructions = [line.split(None, 1) for line in lines
                    if line.strip() and not line.lstrip().startswith("#")]
    stages = [rest for op, rest in instructions if op == "FROM"]
    check(len(stages) >= 2, "the Dockerfile is multi-stage")
    user, healthcheck = None, None
    for op, rest in instructions:
        if op == "COPY":
            parts = rest.split()
            from_stage = any(p.startswith("--from=") for p in parts)
            sources = [p for p in parts if not p.startswith("--")][:-1]
            for source in sources:
                if from_stage:
                    check(source.removeprefix("/src/") in BUILT,
                          f"COPY --from {source}: not built by scripts/build.sh")
                else:
                    check((ROOT / source).exists(), f"COPY {source}: no such file")
        elif op == "USER":
            user = rest.split(":")[0].strip()
        elif op == "HEALTHCHECK":
            healthcheck = rest
        elif op == "ENV" and len(stages) >= 2 and rest:
            for name in re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", rest):
                check(name in known or name in {"PATH", "CARGO_INCREMENTAL"},
                      f"ENV {name}: a variable the binary does not read")
    check(user not in (None, "root", "0"), f"the image runs as root (USER {user})")
    check(healthcheck and "/healthz" in healthcheck, "HEALTHCHECK on /healthz")
    check("scripts/build.sh --release" in (ROOT / "Dockerfile").read_text(),
          "the build stage runs scripts/build.sh --release")
    print(f"Dockerfile: {len(stages)} stages, COPY sources, USER {user}, HEALTHCHECK OK "
          "(not built: no docker daemon here)")


def unit_settings(text):
    settings = []
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.append((key.strip(), value.strip()))
    return settings


def check_systemd_unit(tmp, known):
    unit = (ROOT / "deploy" / "countersign.service").read_text()
    state = tmp / "state"
    state.mkdir()
    env_file = tmp / "countersign.env"
    env_file.write_text(f"COUNTERSIGN_ADDR=127.0.0.1:{free_port()}\n")
    moved = (unit.replace("/usr/local/bin/countersign", str(BINARY))
             .replace("/etc/countersign/countersign.env", str(env_file))
             .replace("/var/lib/countersign", str(state))
             .replace("/usr/share/countersign/site", str(ROOT / "target" / "site")))
    settings = unit_settings(moved)
    keys = {key for key, _ in settings}
    for needed in ("NoNewPrivileges", "ProtectSystem", "EnvironmentFile", "Restart",
                   "ExecStartPre", "ExecStart"):
        check(needed in keys, f"countersign.service lacks {needed}=")
    check(("ProtectSystem", "strict") in settings, "ProtectSystem=strict")
    check(("Restart", "on-failure") in settings, "Restart=on-failure")
    check("DynamicUser" in keys or "User" in keys, "a dedicated user")
    check(dict(settings)["ExecStartPre"].endswith(" migrate"), "ExecStartPre migrates")
    (tmp / "countersign.service").write_text(moved)
    analyze = shutil.which("systemd-analyze")
    if analyze:
        result = subprocess.run([analyze, "verify", str(tmp / "countersign.service")],
                                capture_output=True, text=True)
        check(result.returncode == 0, f"systemd-analyze verify:\n{result.stderr}")
        print("deploy/countersign.service: systemd-analyze verify OK")
    else:
        print("deploy/countersign.service: no systemd-analyze here; running its commands")

    env = {"PATH": os.environ["PATH"]}
    for key, value in settings:
        if key == "Environment":
            name, _, val = value.partition("=")
            env[name] = val
    for line in env_file.read_text().splitlines():
        name, _, val = line.partition("=")
        env[name] = val
    check(not (set(env) - known - {"PATH"}), f"unknown variables in the unit: {set(env) - known}")
    pre = dict(settings)["ExecStartPre"].split()
    result = subprocess.run(pre, env=env, cwd=state, capture_output=True, text=True, timeout=60)
    check(result.returncode == 0, f"ExecStartPre failed:\n{result.stdout}{result.stderr}")
    start = dict(settings)["ExecStart"].split()
    server = subprocess.Popen(start, env=env, cwd=state, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        deadline = time.monotonic() + 60
        for line in server.stdout:
            if "Countersign is running" in line:
                break
            check(time.monotonic() < deadline, "the server did not start within 60 s")
        else:
            fail(f"ExecStart exited ({server.wait()}) before it was running")
        url = f"http://{env['COUNTERSIGN_ADDR']}/healthz"
        with urllib.request.urlopen(url, timeout=10) as answer:
            check(answer.status == 200, f"GET /healthz answered {answer.status}")
        server.terminate()
        check(server.wait(timeout=30) == 0, "the server did not stop cleanly on SIGTERM")
    finally:
        if server.poll() is None:
            server.kill()
    print("deploy/countersign.service: ExecStartPre + ExecStart ran, /healthz 200, SIGTERM exit 0")


def main():
    check(BINARY.is_file(), f"{BINARY} is missing: build it first (cargo build)")
    known = known_variables()
    with tempfile.TemporaryDirectory(prefix="countersign-deploy.") as tmp:
        tmp = Path(tmp)
        check_dockerfile(known)
        check_compose(known)
        check_nginx(tmp)
        check_systemd_unit(tmp, known)


if __name__ == "__main__":
    main()
