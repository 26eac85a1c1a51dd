#!/bin/sh
# Create the broker's password file with one entry per role (prompts for each password).
# Usage: make-passwords.sh /etc/mosquitto/copilot.passwd
set -eu
out="${1:?usage: $0 PASSWORD_FILE}"
: > "$out"
chmod 600 "$out"
for user in sensor-gateway copilot hmi; do
    echo "password for $user:"
    mosquitto_passwd "$out" "$user"
done
