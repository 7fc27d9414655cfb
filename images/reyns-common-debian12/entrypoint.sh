#!/bin/bash
# The Reyns entrypoint: persistency, prestartup scripts, /env.sh, then the
# seed command (supervisord when none is given). Prints "[INFO] Executing
# Docker entrypoint command" when the instance is ready, or "[ERROR] Exit
# code N ..." and stops when it is not.
#
# It runs at every instance's start, so it runs few programs: bash builtins
# do the tests and writes (each program started costs ~1-2 ms of CPU).
set -e

is_true() { case "${1,,}" in true|yes|1) return 0 ;; *) return 1 ;; esac; }

# Where persistent folders go: /persistent, or with SAFE_PERSISTENCY the
# loop-mounted image file in it (so a full disk inside stays inside).
persistent_root=/persistent

# Moves a folder under the persistent root on first start and links it back;
# on later starts (a new container on the same data) the existing data is kept.
persist() {
    local dir=$1 target=$persistent_root$1
    [ -L "$dir" ] && return 0
    if [ -e "$target" ]; then
        echo "[INFO] Using the existing persistent $dir"
        rm -rf "$dir"
    else
        echo "[INFO] Making $dir persistent"
        mkdir -p "$(dirname "$target")"
        if [ -e "$dir" ]; then
            cp -a "$dir" "$target"
            rm -rf "$dir"
        else
            mkdir -p "$target"
        fi
    fi
    ln -s "$target" "$dir"
}

echo "[INFO] Reyns entrypoint for ${SERVICE:-service}-${INSTANCE:-instance}"

# One Ed25519 host key per container, made at its first start (milliseconds;
# `ssh-keygen -A` also made RSA-3072 and ECDSA keys: ~0.6 s of CPU each start).
if [ ! -f /etc/ssh/.reyns-host-keys ]; then
    if compgen -G '/etc/ssh/ssh_host_*' >/dev/null; then rm -f /etc/ssh/ssh_host_*; fi
    ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key
    : > /etc/ssh/.reyns-host-keys
fi

if [ -d /persistent ] && is_true "${SAFE_PERSISTENCY:-}"; then
    image=/persistent/persistent.img
    if [ ! -f "$image" ]; then
        echo "[INFO] Creating the safe persistency image (${SAFE_PERSISTENCY_SIZE:-10G})"
        truncate -s "${SAFE_PERSISTENCY_SIZE:-10G}" "$image"
        mkfs.ext4 -q -F "$image"
    fi
    mkdir -p /persistent_loop
    mount -o loop "$image" /persistent_loop
    persistent_root=/persistent_loop
fi

if [ -d /persistent ]; then
    is_true "${PERSISTENT_DATA:-}" && persist /data
    is_true "${PERSISTENT_LOG:-}" && persist /var/log
    is_true "${PERSISTENT_OPT:-}" && persist /opt
    is_true "${PERSISTENT_HOME:-}" && persist /home
fi
# The log folders, when a persistent /var/log lacks them (or holds
# /var/log/reyns as root's).
if [ ! -d /var/log/supervisor ] || [ ! -d /var/log/reyns ] || [ -O /var/log/reyns ]; then
    mkdir -p /var/log/supervisor /var/log/reyns
    chown reyns:reyns /var/log/reyns
fi

if is_true "${SAFEMODE:-}"; then
    echo "[INFO] Safe mode: not running the prestartup scripts"
else
    code=0
    /usr/local/bin/run-prestartup.sh || code=$?
    if [ $code -ne 0 ]; then
        echo "[ERROR] Exit code $code: a prestartup script failed, the instance stops"
        exit $code
    fi
fi

# The service's environment for login shells and SSH sessions, readable by
# the reyns user only: the file is made anew with that mode and owner at
# each start, whatever an image did to it, then written into.
install -m 0600 -o reyns -g reyns /dev/null /env.sh
for name in $(compgen -e); do
    case $name in
        HOME|PWD|OLDPWD|SHLVL|_|HOSTNAME|TERM|USER|LOGNAME|SHELL|MAIL) ;;
        *) declare -p "$name" ;;
    esac
done > /env.sh

[ $# -gt 0 ] || set -- supervisord -c /etc/supervisor/supervisord.conf
echo "[INFO] Executing Docker entrypoint command: $*"
exec "$@"
