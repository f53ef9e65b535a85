#!/usr/bin/env bash
# Installs what building, running and testing Countersign needs, by package name
# only (rustup components, crates.io, Debian, npm). Idempotent: a second run
# checks and installs nothing.
#   - the wasm32 target, rustfmt and clippy (rustup)
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (crates.io)
#   - chromium, postgresql and wrk (the benchmark's load generator) (Debian), only when missing
#   - nginx (Debian), the reverse proxy in front of two replicas in the replica tests and
#     the deployment example's check (scripts/check_deploy.py), with python3-yaml: the
#     tests run their own as a user process; a system nginx started by the install is stopped
#   - slapd + ldap-utils (Debian), for the LDAP connector's tests: installed without
#     configuring a system instance (the tests run their own slapd as a user process)
#   - scim2-server and aiosmtpd (PyPI) in a virtual environment, for the SCIM connector's
#     and the mail tests (and `make run`'s mail sink):
#     $COUNTERSIGN_VENV, default ~/.cache/countersign/venv (outside the repository)
#   - end2end/node_modules: Playwright, axe-core, oidc-provider, binaryen's wasm-opt (npm)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "Rust toolchain parts"
installed_targets=$(rustup target list --installed)
grep -qx wasm32-unknown-unknown <<<"$installed_targets" || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

want_bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have_bindgen=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [[ "$have_bindgen" != "$want_bindgen" ]]; then
  step "wasm-bindgen-cli $want_bindgen (crates.io)"
  # Without --locked: its own lockfile pins a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$want_bindgen" --force
fi

missing=()
command -v chromium >/dev/null || missing+=(chromium)
{ command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } || missing+=(postgresql)
[[ -x /usr/sbin/slapd ]] || missing+=(slapd)
command -v ldapsearch >/dev/null || missing+=(ldap-utils)
command -v openssl >/dev/null || missing+=(openssl)
command -v wrk >/dev/null || missing+=(wrk)
[[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null || missing+=(nginx)
python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
{ command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; } || missing+=(python3-venv)
if ((${#missing[@]})); then
  step "Debian packages: ${missing[*]}"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  # slapd's post-install would configure and start a system directory: not wanted.
  echo "slapd slapd/no_configuration boolean true" | "${sudo_cmd[@]}" debconf-set-selections
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# A system slapd started anyway (an earlier, configured install) is stopped and
# kept from starting at boot; the tests run their own.
if [[ -x /usr/sbin/slapd ]]; then
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  if command -v systemctl >/dev/null && systemctl is-active --quiet slapd 2>/dev/null; then
    step "stopping the system slapd (tests run their own)"
    "${sudo_cmd[@]}" systemctl disable --now slapd
  elif [[ -s /run/slapd/slapd.pid ]] && kill -0 "$(cat /run/slapd/slapd.pid)" 2>/dev/null; then
    step "stopping the system slapd (tests run their own)"
    "${sudo_cmd[@]}" service slapd stop
    "${sudo_cmd[@]}" update-rc.d slapd disable >/dev/null 2>&1 || true
  fi
fi

# The same for a system nginx the install may have started (port 80): the tests
# run their own, on ports of their own, so one left running is in nobody's way.
# Stopped where systemd runs it (a container without systemd has none running).
if [[ -x /usr/sbin/nginx && -d /run/systemd/system ]] && systemctl is-active --quiet nginx 2>/dev/null; then
  step "stopping the system nginx (tests run their own)"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" systemctl disable --now nginx || echo "could not stop the system nginx; the tests do not need it stopped"
fi

# PyPI: the reference SCIM server the SCIM connector's tests talk to, and the
# SMTP server the mail tests and `make run`'s mail sink use (scripts/smtp_sink.py).
scim_server_version=0.8.3
aiosmtpd_version=1.4.6
venv="${COUNTERSIGN_VENV:-$HOME/.cache/countersign/venv}"
installed() { "$venv/bin/python" -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null; }
if [[ "$(installed scim2-server)" != "$scim_server_version" ]]; then
  step "scim2-server $scim_server_version (PyPI) in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "scim2-server==$scim_server_version"
fi
if [[ "$(installed aiosmtpd)" != "$aiosmtpd_version" ]]; then
  step "aiosmtpd $aiosmtpd_version (PyPI) in $venv"
  [[ -x "$venv/bin/pip" ]] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$aiosmtpd_version"
fi

# npm: reinstall only when package-lock.json changed since the last install.
if [[ ! -f end2end/node_modules/.package-lock.json ]] \
  || [[ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]]; then
  step "npm packages (end2end/)"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi
