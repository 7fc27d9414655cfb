#!/bin/bash
# Runs named in the foreground as the bind user.
exec /usr/sbin/named -g -u bind -c /etc/bind/named.conf
