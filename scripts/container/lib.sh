# Shared by scripts/container-smoke.sh and its helpers: podman set up for this kind of machine, the Debian mirror
# this machine's apt uses, and the stand-in .NET base images built from it. Source it; it defines functions only.

# Podman as it runs on this kind of machine (Debian 12, root without CAP_SYS_RESOURCE, no systemd cgroup manager):
# runc, cgroupfs, default ulimits within what root may set, CNI networks (the dnsname plugin gives service names).
# Written to a file of its own and named by CONTAINERS_CONF, so /etc/containers is left as the operator has it.
smoke_podman_config() {
    local dir=$1
    mkdir -p "$dir"
    cat >"$dir/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "cni"
EOF
    export CONTAINERS_CONF="$dir/containers.conf"
}

# What the smoke needs, from Debian, installed only when missing (a fresh CI machine has none of it).
smoke_install_tools() {
    local missing=()
    command -v podman >/dev/null || missing+=(podman)
    command -v runc >/dev/null || missing+=(runc)
    command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
    command -v podman-compose >/dev/null || missing+=(podman-compose)
    [[ -x /usr/lib/cni/dnsname ]] || missing+=(golang-github-containernetworking-plugin-dnsname)
    [[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
    command -v newuidmap >/dev/null || missing+=(uidmap)
    command -v slirp4netns >/dev/null || missing+=(slirp4netns)
    command -v fuse-overlayfs >/dev/null || missing+=(fuse-overlayfs)
    command -v curl >/dev/null || missing+=(curl)
    if ((${#missing[@]})); then
        echo "smoke: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# The first Debian archive this machine's apt is configured with (deb822 .sources or one-line sources.list);
# never a host name written here.
smoke_debian_mirror() {
    local uri
    uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
    if [[ -z $uri ]]; then
        uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | sed -E 's/\[[^]]*\]//' | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
    fi
    [[ -n $uri ]] || { echo "smoke: no Debian archive in this machine's apt configuration" >&2; return 1; }
    echo "${uri%/}"
}

# Trixie has Ubuntu 24.04's package names (libgtk-3-0t64, libssl3t64), the base of the .NET 10 images, so the
# Dockerfiles' apt line is tried as it is. A mirror without trixie cannot stand in for noble: say so plainly.
smoke_suite() {
    local mirror=$1 suite=${SMOKE_SUITE:-trixie}
    if ! curl -fsSI --max-time 20 "$mirror/dists/$suite/InRelease" >/dev/null; then
        echo "smoke: $mirror serves no '$suite'; the stand-in bases need a suite with Ubuntu 24.04's package names" \
            "(trixie or later: set SMOKE_SUITE)" >&2
        return 1
    fi
    echo "$suite"
}

# Stand-ins for mcr.microsoft.com/dotnet/{sdk,aspnet}:10.0, which this kind of machine cannot pull: Debian from the
# configured mirror, the packages the .NET images' runtime-deps layer has, the user `app` (uid 1654, as in the .NET
# images) and this machine's .NET copied in (all of it for the SDK, the shared runtimes for aspnet). Kept between
# runs under a tag made from everything that goes in, so a second run on the same machine skips this.
smoke_standin_images() {
    local mirror=$1 suite=$2 work=$3
    local dotnet_root=${DOTNET_ROOT:-/usr/share/dotnet}
    local sdk_version key
    sdk_version=$(dotnet --version)
    key=$(printf '%s\n' "$mirror" "$suite" "$sdk_version" "$(ls "$dotnet_root/shared/"*)" "${NUGET_CERT_REVOCATION_MODE:-}" \
        "$(sha256sum </etc/ssl/certs/ca-certificates.crt)" \
        "$(declare -f smoke_standin_images)" | sha256sum | cut -c1-12)
    SMOKE_SDK_IMAGE=localhost/faceorleans-standin-sdk:$key
    SMOKE_RUNTIME_IMAGE=localhost/faceorleans-standin-aspnet:$key
    if podman image exists "$SMOKE_SDK_IMAGE" && podman image exists "$SMOKE_RUNTIME_IMAGE"; then
        echo "smoke: stand-in bases $key already built"
        return 0
    fi

    # The .NET images' runtime-deps (libc6, libgcc-s1, libstdc++6 come with Debian itself) under trixie's names.
    local deps=ca-certificates,libicu76,libssl3t64,tzdata,zlib1g
    local user_hook='chroot "$1" groupadd -g 1654 app && chroot "$1" useradd -u 1654 -g app -m -d /home/app -s /bin/sh app'
    local env=(--change 'ENV APP_UID=1654' --change 'ENV DOTNET_RUNNING_IN_CONTAINER=true'
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["bash"]')
    echo "smoke: building the stand-in bases from $mirror $suite with .NET SDK $sdk_version"
    mmdebstrap --quiet --variant=minbase --include="$deps" \
        --customize-hook="$user_hook" \
        --customize-hook="mkdir -p \"\$1/usr/share/dotnet/shared\" && cp -a $dotnet_root/dotnet $dotnet_root/host \"\$1/usr/share/dotnet/\" && cp -a $dotnet_root/shared/. \"\$1/usr/share/dotnet/shared/\" && ln -s /usr/share/dotnet/dotnet \"\$1/usr/bin/dotnet\"" \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
        "$suite" "$work/aspnet.tar" "$mirror"
    podman import --quiet "${env[@]}" --change 'ENV ASPNETCORE_HTTP_PORTS=8080' "$work/aspnet.tar" "$SMOKE_RUNTIME_IMAGE" >/dev/null
    rm -f "$work/aspnet.tar"

    # The SDK: the whole .NET folder on the same base. A restore inside a build reaches NuGet as this machine does:
    # with its certificate authorities (a site's TLS proxy signs with its own) and its revocation mode.
    local sdk_env=(--change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt')
    [[ -n ${NUGET_CERT_REVOCATION_MODE:-} ]] && sdk_env+=(--change "ENV NUGET_CERT_REVOCATION_MODE=$NUGET_CERT_REVOCATION_MODE")
    mmdebstrap --quiet --variant=minbase --include="$deps" \
        --customize-hook="$user_hook" \
        --customize-hook='cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/ca-certificates.crt"' \
        --customize-hook="cp -a $dotnet_root \"\$1/usr/share/\" && ln -s /usr/share/dotnet/dotnet \"\$1/usr/bin/dotnet\"" \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
        "$suite" "$work/sdk.tar" "$mirror"
    podman import --quiet "${env[@]}" "${sdk_env[@]}" --change 'ENV DOTNET_NOLOGO=1' --change 'ENV DOTNET_CLI_TELEMETRY_OPTOUT=1' \
        "$work/sdk.tar" "$SMOKE_SDK_IMAGE" >/dev/null
    rm -f "$work/sdk.tar"
}

# A stand-in for the redis:7 image the compose files name: Debian's redis-server on the same base, data in /data.
smoke_standin_redis() {
    local mirror=$1 suite=$2 work=$3 key
    key=$(printf '%s\n' "$mirror" "$suite" "$(declare -f smoke_standin_redis)" | sha256sum | cut -c1-12)
    SMOKE_REDIS_IMAGE=localhost/faceorleans-standin-redis:$key
    podman image exists "$SMOKE_REDIS_IMAGE" && return 0
    mmdebstrap --quiet --variant=minbase --include=redis-server \
        --customize-hook='mkdir -p "$1/data"' \
        --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
        "$suite" "$work/redis.tar" "$mirror"
    podman import --quiet --change 'WORKDIR /data' --change 'EXPOSE 6379' --change 'CMD ["redis-server", "--protected-mode", "no"]' \
        "$work/redis.tar" "$SMOKE_REDIS_IMAGE" >/dev/null
    rm -f "$work/redis.tar"
}
