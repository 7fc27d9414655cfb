#!/bin/bash
# Runs the prestartup scripts: first those listed in /prestartup/.order
# (parents first), then any other, by name. The first failure stops it.
order=/prestartup/.order
run() {
    local script=$1
    echo "[INFO] Executing prestartup script $script"
    bash "/prestartup/$script"
    local code=$?
    if [ $code -ne 0 ]; then
        echo "[ERROR] Exit code $code for $script"
        exit $code
    fi
}
listed=()
if [ -f "$order" ]; then
    while IFS= read -r name; do
        [ -f "/prestartup/$name" ] || continue
        listed+=("$name")
        run "$name"
    done < "$order"
fi
for path in /prestartup/*.sh; do
    [ -e "$path" ] || continue
    name=${path##*/}
    case " ${listed[*]} " in *" $name "*) continue ;; esac
    run "$name"
done
exit 0
