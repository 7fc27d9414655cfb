#!/bin/bash
# reyns-dns: writes local.zone and the reverse zone of the DNS's own address
# (SERVICE_IP when published, else the container address), with `dns` and
# this instance in them, and forwards other names to the previous resolvers.
# Recursion (names outside the zone) only for the platform: this host, the
# networks the DNS is on, and DNS_RECURSION_FROM (addresses or CIDRs of other
# nodes, separated by spaces or commas); never an open resolver.
# Restarted with the same address (docker start, an engine restart), it keeps
# its zones and their journals: the records instances registered survive.
set -e
. /usr/local/lib/reyns/zone.sh
address=${SERVICE_IP:-$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1)}
reverse=$(reverse_zone "$address")
d=${address##*.}
serial=$(date +%s)
kept=/var/lib/bind/.reyns-address

if [ -f "/var/lib/bind/$zone" ] && [ "$(cat "$kept" 2>/dev/null)" = "$address" ]; then
    echo "[INFO] Keeping the records of $zone (restarted at the same address)"
else
cat > /var/lib/bind/$zone <<ZONE
\$ORIGIN $zone.
\$TTL 60
@   IN SOA dns.$zone. admin.$zone. ( $serial 3600 600 86400 60 )
    IN NS  dns.$zone.
dns IN A   $address
${SERVICE}-${INSTANCE} IN A $address
ZONE

cat > /var/lib/bind/$reverse <<ZONE
\$ORIGIN $reverse.
\$TTL 60
@   IN SOA dns.$zone. admin.$zone. ( $serial 3600 600 86400 60 )
    IN NS  dns.$zone.
$d  IN PTR dns.$zone.
ZONE
rm -f /var/lib/bind/*.jnl
echo "$address" > "$kept"
fi

servers=$(grep -E '^nameserver' /etc/resolv.conf | awk '{print $2}' | grep -E '^[0-9.]+$' | grep -v '^127\.' | grep -vxF "$address" || true)
forwarders=""
[ -z "$servers" ] || forwarders="forwarders { $(printf '%s; ' $servers)};"

recursion_from=""
for source in ${DNS_RECURSION_FROM//,/ }; do recursion_from="$recursion_from$source; "; done

cat > /etc/bind/named.conf.reyns <<CONF
options {
    directory "/var/cache/bind";
    listen-on { any; };
    listen-on-v6 { none; };
    allow-query { any; };
    recursion yes;
    allow-recursion { localhost; localnets; $recursion_from};
    dnssec-validation no;
    $forwarders
};

zone "$zone" {
    type master;
    file "/var/lib/bind/$zone";
    allow-update { key "reyns"; };
};

zone "$reverse" {
    type master;
    file "/var/lib/bind/$reverse";
    allow-update { key "reyns"; };
};
CONF

chown -R bind:bind /var/lib/bind
echo "[INFO] DNS for $zone at $address (reverse $reverse)"
