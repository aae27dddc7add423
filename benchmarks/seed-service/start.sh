#!/usr/bin/env bash
# Starts the seed-style comparison service (app.py) under gunicorn with 2 sync workers on a free port of 127.0.0.1,
# prints "listening on http://127.0.0.1:PORT" as its first line, then runs in the foreground (the gunicorn master
# keeps this script's process id, so the load benchmark can read its CPU time and its workers' from /proc).
# Needs Debian's python3-flask, gunicorn and python3-opencv (apt-get install python3-flask gunicorn python3-opencv);
# the models are read from ../shared/models (SEED_MODELS to change). Usage: start.sh [PORT]
set -euo pipefail
cd "$(dirname "$0")"
port="${1:-$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
echo "listening on http://127.0.0.1:${port}"
exec /usr/bin/python3 -m gunicorn --workers 2 --worker-class sync --bind "127.0.0.1:${port}" --timeout 120 --log-level warning app:app
