#!/bin/bash
# Run by `reyns build` as the last step of every image: appends the prestartup
# scripts this image added to /prestartup/.order, so that a container runs its
# images' scripts parents first, whatever order the images were rebuilt in.
set -e
order=/prestartup/.order
touch "$order"
for script in /prestartup/*.sh; do
    [ -e "$script" ] || continue
    name=${script##*/}
    grep -qxF "$name" "$order" || echo "$name" >> "$order"
done
