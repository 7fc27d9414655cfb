#!/bin/bash
# The Reyns entrypoint: persistency, prestartup scripts, /env.sh, then the
# seed command. Prints "[INFO] Executing Docker entrypoint command" when the
# instance is ready, or "[ERROR] Exit code N ..." and stops when it is not.
set -e

is_true() { case "${1,,}" in true|yes|1) return 0 ;; *) return 1 ;; esac; }

# Moves a folder under /persistent on first start and links it back; on later
# starts (a new container on the same data) the existing data is kept.
persist() {
    local dir=$1 target=/persistent$1
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

if [ ! -f /etc/ssh/.reyns-host-keys ]; then
    rm -f /etc/ssh/ssh_host_*
    ssh-keygen -A >/dev/null
    touch /etc/ssh/.reyns-host-keys
fi

if [ -d /persistent ]; then
    is_true "${PERSISTENT_DATA:-}" && persist /data
    is_true "${PERSISTENT_LOG:-}" && persist /var/log
    is_true "${PERSISTENT_OPT:-}" && persist /opt
    is_true "${PERSISTENT_HOME:-}" && persist /home
fi
mkdir -p /var/log/supervisor /var/log/reyns
chown reyns:reyns /var/log/reyns

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

# The service's environment for login shells and SSH sessions.
export -p | grep -vE '^declare -x (HOME|PWD|OLDPWD|SHLVL|_|HOSTNAME|TERM|USER|LOGNAME|SHELL|MAIL)(=|$)' > /env.sh
chown reyns:reyns /env.sh
chmod 0600 /env.sh

echo "[INFO] Executing Docker entrypoint command: $*"
exec "$@"
