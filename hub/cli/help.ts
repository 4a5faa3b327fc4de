export const HELP = `ThermoGate site hub: the site's MQTT broker, fleet status, access list, and (by config) the
dashboard (dashboardConfigFile), the OPC UA server (opcua) and Home Assistant discovery.

Usage:
  npm run hub -- --config FILE [--check]
      Run the site process until SIGINT/SIGTERM (--check: validate the configuration and exit).
      Create the first dashboard admin with: npm run dashboard -- user add --config DASHBOARD.yaml ...

  npm run hub -- device add --credentials FILE --id ID --role gate|terminal|dashboard|service
                 [--site S] [--gate G] [--terminal T] [--client-id CID ...] [--password-file F]
      Add a device. Prints a generated password once on stdout (or hashes the one in F).
      gate needs --site --gate --terminal; dashboard needs --site.
  npm run hub -- device revoke --credentials FILE --id ID
  npm run hub -- device list --credentials FILE [--json]
  npm run hub -- device mosquitto-acl --credentials FILE
      Print a Mosquitto acl_file equivalent to the hub's ACL for these devices.
      (--config FILE may replace --credentials FILE in every device command.)

  npm run hub -- access-list import --config FILE --csv FILE
      Validate HR's CSV (employeeNo,name,department,kind,validFrom,validUntil) and make it the
      next version; a running hub publishes it within its watch interval. Nothing is applied
      unless every line is good; each bad line is printed with its number.
  npm run hub -- access-list show --config FILE

  npm run hub -- hold list --config FILE [--json]
      The site's person holds (a fever at any gate holds the person at every gate).
  npm run hub -- hold lift --config FILE --employee NO --note TEXT [--reason certificate|recheck-normal|other]
                 [--return-date YYYY-MM-DD] [--by NAME]
      Lift a hold (e.g. a hospital's certificate was seen); the gates let the person in again.
  npm run hub -- hold open --config FILE --employee NO --note TEXT
      Hold a person by hand (refused at every gate until lifted).
  npm run hub -- policy show --config FILE
  npm run hub -- policy set --config FILE --file POLICY.yaml
      The site policy every gate decides with (rules: feverThresholdTenths, plausibleMinTenths,
      plausibleMaxTenths, maskRequired, healthCodeRequired, accessListRequired, minSimilarity;
      calendar: workingDays, holidays, extraWorkingDays, afternoonFrom). A running hub publishes
      a change within its watch interval.

  --help   this text

Exit codes: 0 done, 1 failure at run time, 2 bad configuration or arguments, 3 input refused
(bad CSV, device conflict). Logs: JSON (pino) on stderr; LOG_LEVEL or logLevel sets the level.
Environment overrides of the config: TG_HUB__<KEY>__<SUBKEY>=value (e.g. TG_HUB__MQTT__PORT=1884).
`;
