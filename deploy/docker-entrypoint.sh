#!/bin/sh
# Entry point of the ThermoGate image. FILE__NAME=/run/secrets/x sets NAME to the file's first
# line, for the few settings that only an environment variable can carry (e.g. the edge's InfluxDB
# password, TG_EDGE__STORAGE__SINK__PASSWORD): the secret stays a file, never part of the compose
# file or the image. Then it runs the command (tini, `init: true`, forwards signals to it).
set -eu
for var in $(env | sed -n 's/^\(FILE__[A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p'); do
  name=${var#FILE__}
  eval "file=\${$var}"
  if [ ! -r "$file" ]; then
    echo "thermogate: $var: cannot read $file (is the secret mounted and readable by uid $(id -u)?)" >&2
    exit 2
  fi
  value=$(head -n 1 "$file")
  export "$name=$value"
  unset "$var"
done
exec "$@"
