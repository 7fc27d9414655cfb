#!/bin/bash
# The Reyns DNS's names, sourced by dns-register.sh and reyns-dns's
# prestartup (reyns' src/contract.rs holds the same, checked by a test).
# Run as a program, `zone.sh ADDRESS` prints the address's reverse zone and
# record name.
zone=local.zone
key=/etc/reyns/tsig.key

# The reverse zone of an IPv4 address: 10.1.2.3 -> 2.1.10.in-addr.arpa
reverse_zone() {
    local a b c d
    IFS=. read -r a b c d <<< "$1"
    echo "$c.$b.$a.in-addr.arpa"
}

# The reverse record name of an IPv4 address: 10.1.2.3 -> 3.2.1.10.in-addr.arpa
reverse_name() {
    local d=${1##*.}
    echo "$d.$(reverse_zone "$1")"
}

if [ "${BASH_SOURCE[0]}" = "$0" ] && [ -n "${1:-}" ]; then
    reverse_zone "$1"
    reverse_name "$1"
fi
