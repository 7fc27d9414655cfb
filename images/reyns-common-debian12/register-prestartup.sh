#!/bin/bash
# Appends prestartup scripts to /prestartup/.order, so that a container runs
# its images' scripts parents first, whatever order the images were rebuilt
# in. With names (what `reyns build` does, in a step right after the
# Dockerfile's last FROM, where the build cache keeps it): those names, the
# scripts the image is about to add. Without (Reyns' own images, at their
# end): every script in /prestartup/ not listed yet.
set -e
order=/prestartup/.order
mkdir -p /prestartup
touch "$order"
if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for script in /prestartup/*.sh; do
        [ -e "$script" ] && names+=("${script##*/}")
    done
fi
for name in "${names[@]}"; do
    grep -qxF "$name" "$order" || echo "$name" >> "$order"
done
