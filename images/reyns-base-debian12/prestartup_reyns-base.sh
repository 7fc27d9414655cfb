#!/bin/bash
# reyns-base: registers the instance on the Reyns DNS when one is known
# (a link named `dns` or DNS_SERVICE_IP) and resolves through it.
set -e
[ -n "${DNS_SERVICE_IP:-}" ] || exit 0
exec /usr/local/bin/dns-register.sh
