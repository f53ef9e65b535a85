# Shared by the scripts: output helpers and the tool locations.
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
# Tools installed by scripts/setup.sh: cargo's bin dir and the npm build tools.
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
