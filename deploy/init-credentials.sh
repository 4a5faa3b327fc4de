#!/usr/bin/env bash
# Everything a new compose site needs before `docker compose up`, once:
#   1. random passwords for InfluxDB (admin, Grafana's read-only user) and Grafana's admin;
#   2. the hub's device credentials (`hub device add`): both gates, both face terminals and the
#      dashboard. The hub stores only scrypt hashes (in its volume); each device's password is
#      written once, to deploy/secrets/<name>, which compose mounts into that device's container.
# Idempotent: an existing secret file is kept, and so is the device it belongs to.
#
#   bash deploy/init-credentials.sh
#
# Environment (defaults in brackets):
#   HUB_CLI          how to run the hub CLI [docker compose run --rm --no-deps -T hub tsx site/cli.ts];
#                    without Docker, from a checkout with Node 20: HUB_CLI="npx tsx site/cli.ts"
#   HUB_CREDENTIALS  the credentials file as HUB_CLI sees it [/data/hub/credentials.json]
#   SECRETS_DIR      where the secret files go [deploy/secrets]
#   SITE             the site id of hub.yaml [plant-1]
#   SECRETS_UID      run as root, the secret files are given to this uid, the containers' user [1000]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECRETS_DIR=${SECRETS_DIR:-deploy/secrets}
HUB_CREDENTIALS=${HUB_CREDENTIALS:-/data/hub/credentials.json}
SITE=${SITE:-plant-1}
read -r -a HUB_CLI <<<"${HUB_CLI:-docker compose run --rm --no-deps -T hub tsx site/cli.ts}"
umask 077
mkdir -p "$SECRETS_DIR"

# 24 random bytes as URL-safe base64: no quoting trouble in any config or shell. Never starting
# with "-", which a command line reads as an option (a CI run failed on one, 1 in 64).
random_secret() {
  local s
  while :; do
    s=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [ "${s#-}" = "$s" ] && break
  done
  printf '%s' "$s"
}

SERVICE_SECRETS=(influx_admin_password influx_dashboard_password influx_gate_password influx_read_password grafana_admin_password)
# device id | role | extra arguments of `device add`
DEVICES=(
  "gate-1|gate|--site $SITE --gate gate-1 --terminal term-1"
  "gate-2|gate|--site $SITE --gate gate-2 --terminal term-2"
  "term-1|terminal|"
  "term-2|terminal|"
  "dashboard|dashboard|--site $SITE"
)
secret_of() { echo "$SECRETS_DIR/${1//-/_}_mqtt_password"; }

for s in "${SERVICE_SECRETS[@]}"; do
  f="$SECRETS_DIR/$s"
  if [ -s "$f" ]; then
    echo "kept    $f"
  else
    random_secret >"$f"
    echo "created $f"
  fi
done

# docker compose mounts every secret of the hub service when it runs the CLI: the files must exist
# (empty for now) before the first `compose run`.
for d in "${DEVICES[@]}"; do
  f=$(secret_of "${d%%|*}")
  [ -e "$f" ] || : >"$f"
done

for d in "${DEVICES[@]}"; do
  IFS='|' read -r id role extra <<<"$d"
  f=$(secret_of "$id")
  if [ -s "$f" ]; then
    echo "kept    device $id ($f)"
    continue
  fi
  tmp="$f.new"
  # shellcheck disable=SC2086 # $extra is a list of arguments
  if ! "${HUB_CLI[@]}" device add --credentials "$HUB_CREDENTIALS" --id "$id" --role "$role" $extra >"$tmp"; then
    rm -f "$tmp"
    echo "init-credentials: device add $id failed. If $id exists without its secret file, revoke it" >&2
    echo "  (${HUB_CLI[*]} device revoke --credentials $HUB_CREDENTIALS --id $id), give it a new id, or" >&2
    echo "  remove it from the credentials file, then run this again." >&2
    exit 1
  fi
  mv "$tmp" "$f"
  echo "created device $id ($role), password in $f"
done

# Compose mounts secret files as they are: the containers' user must own them (mode 0600 stays).
if [ "$(id -u)" -eq 0 ]; then
  chown "${SECRETS_UID:-1000}" "$SECRETS_DIR"/*_password
fi

cat <<NEXT

Secrets are in $SECRETS_DIR (mode 0600). The containers run as uid 1000: if you are neither root
nor uid 1000, run: sudo chown 1000 $SECRETS_DIR/*_password. Next:
  docker compose up -d --build
  docker compose exec hub tsx site/cli.ts access-list import --config /config/hub.yaml --csv /config/access-list.example.csv
  docker compose exec -it hub tsx dashboard/cli.ts user add --config /config/dashboard.yaml --username admin --role admin
NEXT
