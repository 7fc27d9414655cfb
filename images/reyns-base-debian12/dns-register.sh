#!/bin/bash
# Points the resolver at the Reyns DNS (search domain local.zone) and, unless
# DNS_UPDATE_POLICY is HIDE, registers <service>-<instance> and <service>
# (REPLACE: this instance only; APPEND: added to the others). The records
# live DNS_TTL seconds in caches (default 2): a recreate that moves the name
# to a new container drains the old one for at least that long.
#
# `dns-register.sh OLD_ADDRESS` (a start-first replacement taking the name
# of the instance at OLD_ADDRESS): the same update also removes OLD_ADDRESS
# from the service name, so the name never has no address, nor a stale one.
set -e
. /usr/local/lib/reyns/zone.sh
policy=${DNS_UPDATE_POLICY:-REPLACE}
policy=${policy^^}
name="${SERVICE}-${INSTANCE}"
ttl=${DNS_TTL:-2}
address=${SERVICE_IP:-$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1)}

# Resolve through the DNS first, keeping the previous servers as fallbacks.
previous=$(grep -E '^nameserver' /etc/resolv.conf | grep -vF "$DNS_SERVICE_IP" || true)
{
    echo "search $zone"
    echo "nameserver $DNS_SERVICE_IP"
    echo "$previous"
} > /tmp/resolv.conf.reyns
cat /tmp/resolv.conf.reyns > /etc/resolv.conf

case "$policy" in
    HIDE) echo "[INFO] DNS_UPDATE_POLICY=HIDE: not registering $name"; exit 0 ;;
    REPLACE|APPEND) ;;
    *) echo "[ERROR] DNS_UPDATE_POLICY must be HIDE, REPLACE or APPEND, not $policy"; exit 1 ;;
esac

# Retries until the DNS takes the update, for at most DNS_REGISTER_TIMEOUT
# seconds (default 10): a DNS that does not answer fails the instance fast,
# naming its address.
deadline=$(( $(date +%s) + ${DNS_REGISTER_TIMEOUT:-10} ))
update() {
    while true; do
        if nsupdate -k "$key" -t 2 <<< "$1" 2>/tmp/nsupdate.err; then
            return 0
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "[ERROR] The DNS at $DNS_SERVICE_IP did not take the update within ${DNS_REGISTER_TIMEOUT:-10} s: $(tr '\n' ' ' < /tmp/nsupdate.err)"
            return 1
        fi
        sleep 0.2
    done
}

forward="server $DNS_SERVICE_IP
zone $zone
update delete $name.$zone A
update add $name.$zone $ttl A $address"
replaced=${1:-}
if [ "$policy" = REPLACE ]; then
    forward="$forward
update delete $SERVICE.$zone A"
elif [ -n "$replaced" ] && [ "$replaced" != "$address" ]; then
    forward="$forward
update delete $SERVICE.$zone A $replaced"
fi
forward="$forward
update add $SERVICE.$zone $ttl A $address
send"
update "$forward"

# The reverse records, when the addresses are in the DNS's reverse zone: one
# try each, the DNS has just answered.
if [ -n "$replaced" ] && [ "$replaced" != "$address" ]; then
    nsupdate -k "$key" -t 2 <<< "server $DNS_SERVICE_IP
zone $(reverse_zone "$replaced")
update delete $(reverse_name "$replaced") PTR
send" 2>/dev/null || true
fi
nsupdate -k "$key" -t 2 <<< "server $DNS_SERVICE_IP
zone $(reverse_zone "$address")
update delete $(reverse_name "$address") PTR
update add $(reverse_name "$address") $ttl PTR $name.$zone.
send" 2>/dev/null || echo "[INFO] No reverse zone for $address on the DNS"
echo "[INFO] Registered $name.$zone ($policy) at $address"
