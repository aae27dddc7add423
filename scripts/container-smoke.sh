#!/usr/bin/env bash
# Builds the CPU image and runs it as users do, with podman, on a bare Debian machine of this project's kind:
#  1. installs podman and friends from Debian when missing; podman set up for this machine (scripts/container/lib.sh);
#  2. builds stand-ins for the .NET SDK and ASP.NET runtime images and for redis:7 from this machine's Debian mirror
#     (trixie: Ubuntu 24.04's package names) and its installed .NET, kept between runs;
#  3. builds docker/Dockerfile with those bases (SDK_IMAGE, RUNTIME_IMAGE) and prints the image's size;
#  4. the embedded image: ready, its own HEALTHCHECK passes, a same-person and a different-person pair of the shared
#     photos compare right, an enrolled subject survives `podman restart`, no process runs as root;
#  5. the CPU compose (compose.mig.yml + compose.cpu.yml): Redis, three silos and the API come up, every silo's probe
#     passes, each tenant's compare answers through the API container; one silo is killed (podman kill): its tenant
#     gets 503, the other two keep answering, the API's HEALTHCHECK passes and readiness says degraded; started again,
#     it serves again; another silo's process is SIGKILLed and its restart policy brings it back.
# Everything it started is removed on exit. A container that exits fails the run at once, with its log.
# usage: scripts/container-smoke.sh        (root)
#   SMOKE_KEEP_IMAGES=0   also remove the image it built
#   SMOKE_IMAGE=NAME      run an image built elsewhere instead of building docker/Dockerfile (e.g. an older revision's)
#   SMOKE_COMPOSE=FILE    the base compose file (docker/compose.mig.yml)
#   SMOKE_ONLY=embedded|compose   run one of the two parts
set -euo pipefail
cd "$(dirname "$0")/.."
# Podman schedules HEALTHCHECKs with systemd timers; without systemd it says so on every container start. The
# smoke runs each check itself (podman healthcheck run), so those lines are only noise.
exec 2> >(grep --line-buffered -v 'unable to get systemd connection' >&2)
source scripts/container/lib.sh

FACES=${FACES:-../shared/testdata/faces}
PROJECT=faceorleans-smoke
IMAGE=${SMOKE_IMAGE:-localhost/faceorleans-smoke:latest}
COMPOSE_BASE=${SMOKE_COMPOSE:-docker/compose.mig.yml}
ONLY=${SMOKE_ONLY:-}
EMBEDDED=$PROJECT-embedded
started=$(date +%s)
work=$(mktemp -d /var/tmp/faceorleans-smoke.XXXXXX)
say() { echo "smoke [$(($(date +%s) - started)) s]: $*"; }
fail() { echo "smoke FAILED: $*" >&2; exit 1; }

compose() {
    FACEORLEANS_IMAGE=$IMAGE REDIS_IMAGE=$SMOKE_REDIS_IMAGE FACEORLEANS_API_PORT=$cluster_port \
        podman-compose -p "$PROJECT" -f "$COMPOSE_BASE" -f docker/compose.cpu.yml -f "$work/compose.smoke.yml" "$@"
}

cleanup() {
    local status=$?
    set +e
    if ((status != 0)); then
        for c in $(podman ps -a --format '{{.Names}}' | grep "^$PROJECT"); do
            echo "--- last log lines of $c:" >&2
            podman logs --tail 40 "$c" 2>&1 | sed 's/^/    /' >&2
        done
    fi
    # The images' VOLUME /app/data gives every container without a mount of its own an anonymous volume, which
    # neither `podman rm` nor podman-compose's `down -v` removes: collected first, removed after.
    local volumes
    volumes=$(podman ps -a --filter "name=^$PROJECT" --format '{{.ID}}' | xargs -r podman inspect -f '{{range .Mounts}}{{.Name}} {{end}}')
    podman rm -f -t 2 "$EMBEDDED" >/dev/null 2>&1
    [[ -f $work/compose.smoke.yml ]] && compose down -v -t 2 >/dev/null 2>&1
    for v in $volumes "$PROJECT-data"; do podman volume rm -f "$v" >/dev/null 2>&1; done
    [[ ${SMOKE_KEEP_IMAGES:-1} == 0 && -z ${SMOKE_IMAGE:-} ]] && podman rmi -f "$IMAGE" >/dev/null 2>&1
    rm -rf "$work"
    say "done, exit $status"
}
trap cleanup EXIT

# Exits at once, with the reason, when a container has stopped or was restarted by its policy (it crashed).
alive() {
    local c state
    for c in "$@"; do
        state=$(podman inspect -f '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}' "$c" 2>/dev/null) || fail "container $c is gone"
        read -r status restarts code <<<"$state"
        [[ $status == running && $restarts == 0 ]] || fail "container $c is $status (exit $code, restarts $restarts)"
    done
}

# Polls CHECK (a command) until it passes, every 2 s for at most SECONDS, failing fast when a container stops.
wait_for() {
    local what=$1 limit=$2 check=$3
    shift 3
    local until=$(($(date +%s) + limit))
    until (eval "$check") >/dev/null 2>&1; do
        alive "$@"
        (($(date +%s) < until)) || fail "$what: not after $limit s"
        sleep 2
    done
    say "$what"
}

http() { curl -sS --max-time 60 "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A same-person and a different-person pair from the shared photos' list.
read -r same_a same_b < <(awk -F, '{sub(/\r$/, "")} NR > 1 && $3 == 1 {print $1, $2; exit}' "$FACES/pairs.csv") \
    || fail "no same-person pair in $FACES/pairs.csv"
read -r diff_a diff_b < <(awk -F, '{sub(/\r$/, "")} NR > 1 && $3 == 0 {print $1, $2; exit}' "$FACES/pairs.csv") \
    || fail "no different-person pair in $FACES/pairs.csv"

# Compares a pair through the API at BASE for TENANT with KEY; fails unless is_same_person is EXPECTED.
compare() {
    local base=$1 tenant=$2 key=$3 a=$4 b=$5 expected=$6 answer
    answer=$(http -X POST "$base/v1/$tenant/compare" -H "X-Api-Key: $key" -F "image1=@$FACES/$a" -F "image2=@$FACES/$b") \
        || fail "$tenant compare $a $b: no answer"
    got=$(json 'str(d["is_same_person"]).lower()' <<<"$answer" 2>/dev/null) || fail "$tenant compare $a $b answered: $answer"
    [[ $got == "$expected" ]] || fail "$tenant compare $a $b: is_same_person $got, expected $expected ($answer)"
}

no_root_process() {
    local users
    users=$(podman top "$1" user,comm | tail -n +2)
    ! grep -q '^root ' <<<"$users" || fail "$1 runs a process as root: $users"
    say "$1 runs as non-root ($(awk '{print $1}' <<<"$users" | sort -u | tr '\n' ' '))"
}

# --- 1, 2: tools, podman, stand-in bases ----------------------------------------------------------------------------
[[ $(id -u) == 0 ]] || fail "run as root (podman's networks and images here are root's)"
smoke_install_tools
smoke_podman_config "$work/conf"
mirror=$(smoke_debian_mirror)
suite=$(smoke_suite "$mirror")
smoke_standin_images "$mirror" "$suite" "$work"
smoke_standin_redis "$mirror" "$suite" "$work"
say "bases: $SMOKE_SDK_IMAGE, $SMOKE_RUNTIME_IMAGE, $SMOKE_REDIS_IMAGE"
python3 models/provision.py >/dev/null

# --- 3: the image ---------------------------------------------------------------------------------------------------
[[ -n ${SMOKE_IMAGE:-} ]] || podman build --format docker -f docker/Dockerfile --build-arg "SDK_IMAGE=$SMOKE_SDK_IMAGE" \
    --build-arg "RUNTIME_IMAGE=$SMOKE_RUNTIME_IMAGE" -t "$IMAGE" . >"$work/build.log" 2>&1 \
    || { tail -n 40 "$work/build.log" >&2; fail "podman build -f docker/Dockerfile"; }
grep -E 'native libraries under|shared with' "$work/build.log" 2>/dev/null | sed 's/^/    /' || true
say "built $IMAGE: $(podman image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"

# --- 4: the embedded image ------------------------------------------------------------------------------------------
if [[ $ONLY != compose ]]; then
port=$(free_port)
podman run -d --name "$EMBEDDED" -p "127.0.0.1:$port:8080" -v "$PROJECT-data:/app/data" "$IMAGE" >/dev/null
base=http://127.0.0.1:$port
wait_for "embedded: ready" 240 "http -f $base/health/ready" "$EMBEDDED"
podman healthcheck run "$EMBEDDED" >/dev/null || fail "embedded: its HEALTHCHECK fails"
say "embedded: its HEALTHCHECK passes"
no_root_process "$EMBEDDED"
wait_for "embedded: demo keys written" 60 "podman exec $EMBEDDED grep -q ADMIN_KEY= /app/data/demo-keys.env" "$EMBEDDED"
key=$(podman exec "$EMBEDDED" sed -n 's/^ATTENDANCE_KEY=//p' /app/data/demo-keys.env)
compare "$base" attendance "$key" "$same_a" "$same_b" true
compare "$base" attendance "$key" "$diff_a" "$diff_b" false
say "embedded: $same_a/$same_b same person, $diff_a/$diff_b not"
http -f -X POST "$base/v1/attendance/subjects" -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
    -d '{"id": "smoke-1", "display_name": "Smoke"}' >/dev/null || fail "embedded: create a subject"
http -f -X POST "$base/v1/attendance/subjects/smoke-1/faces" -H "X-Api-Key: $key" -F "image=@$FACES/$same_a" >/dev/null \
    || fail "embedded: enroll a face"
podman restart -t 10 "$EMBEDDED" >/dev/null
wait_for "embedded: ready again after podman restart" 240 "http -f $base/health/ready" "$EMBEDDED"
found=$(http -X POST "$base/v1/attendance/identify" -H "X-Api-Key: $key" -F "image=@$FACES/$same_b" -F top_k=1)
grep -q '"smoke-1"' <<<"$found" || fail "embedded: the enrolled subject is not found after the restart: $found"
say "embedded: the enrolled subject is identified after the restart"
podman rm -f -v -t 5 "$EMBEDDED" >/dev/null
fi
[[ $ONLY != embedded ]] || { say "PASSED (embedded only) in $(($(date +%s) - started)) s"; exit 0; }

# --- 5: the CPU compose ---------------------------------------------------------------------------------------------
# What only this run needs: its images and port (variables above) and, on a 2-core machine, one thread per silo.
cluster_port=$(free_port)
cat >"$work/compose.smoke.yml" <<'EOF'
services:
  silo-attendance: {environment: {FaceOrleans__Slice__IntraOpThreads: "1"}}
  silo-access: {environment: {FaceOrleans__Slice__IntraOpThreads: "1"}}
  silo-analytics: {environment: {FaceOrleans__Slice__IntraOpThreads: "1"}}
EOF
admin_key=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
export FACEORLEANS_ADMIN_KEY_SHA256=$(printf %s "$admin_key" | sha256sum | cut -d' ' -f1)
FACEORLEANS_MASTER_KEY=$(head -c 32 /dev/urandom | base64)
export FACEORLEANS_MASTER_KEY
compose up -d >"$work/compose.log" 2>&1 || { cat "$work/compose.log" >&2; fail "podman-compose up"; }
silos=("${PROJECT}_silo-attendance_1" "${PROJECT}_silo-access_1" "${PROJECT}_silo-analytics_1")
everyone=("${PROJECT}_redis_1" "${silos[@]}" "${PROJECT}_api_1")
base=http://127.0.0.1:$cluster_port
wait_for "cluster: every silo's probe passes" 300 \
    "for s in ${silos[*]}; do podman healthcheck run \$s || exit 1; done" "${everyone[@]}"
wait_for "cluster: the API sees three live slices" 240 \
    "http -f $base/health/slices -o $work/slices.json && grep -q mig-1 $work/slices.json && grep -q mig-2 $work/slices.json && grep -q mig-3 $work/slices.json" \
    "${everyone[@]}"
podman healthcheck run "${PROJECT}_api_1" >/dev/null || fail "cluster: the API's HEALTHCHECK fails"
! podman logs "${PROJECT}_api_1" 2>&1 | grep -qiE 'demo api keys|_KEY=' || fail "cluster: the API logged a key"
declare -A keys
for tenant in attendance access analytics; do
    keys[$tenant]=$(http -f -X POST "$base/v1/keys" -H "X-Api-Key: $admin_key" -H 'Content-Type: application/json' \
        -d "{\"tenant\": \"$tenant\", \"role\": \"Tenant\", \"description\": \"smoke\"}" | json 'd["key"]') \
        || fail "cluster: issuing a key for $tenant"
    compare "$base" "$tenant" "${keys[$tenant]}" "$same_a" "$same_b" true
    compare "$base" "$tenant" "${keys[$tenant]}" "$diff_a" "$diff_b" false
done
say "cluster: attendance, access and analytics each compare right through the API container"

# attendance's silo dies; access and analytics keep answering, the API stays healthy, attendance gets 503 meanwhile.
# attendance's silo is killed (podman kill: the operator's own stop, so it stays down); access and analytics keep
# answering and the API stays healthy, ready but degraded, while attendance gets 503.
podman kill "${PROJECT}_silo-attendance_1" >/dev/null
say "cluster: killed ${PROJECT}_silo-attendance_1"
others=("${PROJECT}_redis_1" "${PROJECT}_silo-access_1" "${PROJECT}_silo-analytics_1" "${PROJECT}_api_1")
wait_for "cluster: attendance gets 503 while its slice is down" 60 \
    "[[ \$(http -o /dev/null -w '%{http_code}' -X POST $base/v1/attendance/compare -H 'X-Api-Key: ${keys[attendance]}' -F image1=@$FACES/$same_a -F image2=@$FACES/$same_b) == 503 ]]" \
    "${others[@]}"
for round in 1 2 3; do
    for tenant in access analytics; do
        compare "$base" "$tenant" "${keys[$tenant]}" "$same_a" "$same_b" true
    done
    podman healthcheck run "${PROJECT}_api_1" >/dev/null || fail "cluster: the API's HEALTHCHECK fails with one slice down"
    http -f "$base/health/ready" -o "$work/ready.json" || fail "cluster: /health/ready fails with one slice down: $(cat "$work/ready.json")"
    grep -q '"status":"degraded"' "$work/ready.json" || fail "cluster: /health/ready does not report the slice down: $(cat "$work/ready.json")"
    sleep 2
done
say "cluster: access and analytics answer, the API stays healthy (ready: degraded) with attendance's slice down"
podman start "${PROJECT}_silo-attendance_1" >/dev/null
wait_for "cluster: attendance answers again once its silo is started" 180 \
    "compare $base attendance ${keys[attendance]} $same_a $same_b true" "${others[@]}"

# A crash (SIGKILL from outside, as the OOM killer does) is what restart policies are for: analytics' silo comes back.
kill -9 "$(podman inspect -f '{{.State.Pid}}' "${PROJECT}_silo-analytics_1")"
say "cluster: killed ${PROJECT}_silo-analytics_1's process"
wait_for "cluster: analytics answers again, its silo restarted by its restart policy" 180 \
    "[[ \$(podman inspect -f '{{.RestartCount}}' ${PROJECT}_silo-analytics_1) -ge 1 ]] && compare $base analytics ${keys[analytics]} $same_a $same_b true" \
    "${PROJECT}_redis_1" "${PROJECT}_silo-access_1" "${PROJECT}_api_1"
say "PASSED in $(($(date +%s) - started)) s"
