#!/bin/bash
# reyns-base: registers the instance on the Reyns DNS when one is known
# (a link named `dns` or DNS_SERVICE_IP) and resolves through it.
# The DNS itself never registers on itself: its zone already holds its
# records, and it does not answer until after its prestartup.
set -e
[ -e /etc/reyns/dns-server ] && exit 0
[ -n "${DNS_SERVICE_IP:-}" ] || exit 0
exec /usr/local/bin/dns-register.sh
