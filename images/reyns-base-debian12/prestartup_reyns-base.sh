#!/bin/bash
# reyns-base: registers the instance on the Reyns DNS when one is known
# (a link named `dns` or DNS_SERVICE_IP) and resolves through it.
# The DNS itself never registers on itself: its zone already holds its
# records, and it does not answer until after its prestartup.
#
# DNS_REGISTER=later (a start-first recreate's replacement): the first start
# only resolves through the DNS; reyns registers the instance, moving its
# name in one update, once it is ready. Every later start (docker start, an
# engine restart) registers as usual.
set -e
[ -e /etc/reyns/dns-server ] && exit 0
[ -n "${DNS_SERVICE_IP:-}" ] || exit 0
started_once=/etc/reyns/.started
if [ "${DNS_REGISTER:-}" = later ] && [ ! -e "$started_once" ]; then
    : > "$started_once"
    echo "[INFO] Not registering on the DNS yet: reyns moves the name once this instance is ready"
    DNS_UPDATE_POLICY=HIDE exec /usr/local/bin/dns-register.sh
fi
: > "$started_once"
exec /usr/local/bin/dns-register.sh
