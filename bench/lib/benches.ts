/**
 * Every benchmark `npm run bench` runs, in its order (bench/run.ts); the report's whole-run row
 * needs all of them to have run (bench/lib/report.ts), and test/bench-report.test.ts reads the
 * list from here.
 */
export interface Bench {
  name: string;
  file: string;
  what: string;
  args?: string[];
  /** Killed (and reported failed) after this long. */
  timeoutS: number;
}

export const BENCHES: Bench[] = [
  {
    name: 'edge',
    file: 'bench/edge.ts',
    what: 'edge processing: measurement → release, face event → verdict',
    timeoutS: 120,
  },
  {
    name: 'isapi',
    file: 'bench/isapi.ts',
    what: 'ISAPI terminal: event pushed → remoteCheck PUT at the terminal, on loopback',
    // Four rounds, each starting a gate process (3–6 s under load) and taking 2,000 events.
    timeoutS: 240,
  },
  {
    name: 'pipeline',
    file: 'bench/pipeline.ts',
    what: 'events → decisions → points in InfluxDB: ThermoGate vs Node-RED vs the influx client alone',
    timeoutS: 420,
  },
  {
    name: 'loss',
    file: 'bench/loss.ts',
    what: 'InfluxDB down 30 s and a SIGKILL: readings lost and doubled, ThermoGate beside Node-RED',
    timeoutS: 300,
  },
  {
    name: 'latency',
    file: 'bench/latency.ts',
    what: '100 gates × 1 person/s: verdict and fever alert latency, CPU',
    timeoutS: 240,
  },
  {
    name: 'footprint',
    file: 'bench/footprint.ts',
    what: 'memory and CPU of one edge daemon at a gate’s pace',
    timeoutS: 240,
  },
  {
    name: 'scale',
    file: 'bench/scale.ts',
    what: '10 to 1,000 gates on one hub with the dashboard and a guard’s live feed, beside Mosquitto; bench/scale.svg',
    timeoutS: 480,
  },
  {
    name: 'restart',
    file: 'bench/restart.ts',
    what: 'back after a power cut: shipped edge to first verdict (100k outbox), hub + 1,000 gates back online',
    timeoutS: 240,
  },
  {
    name: 'lists',
    file: 'bench/lists.ts',
    what: '50,000 people: access list and holds changes to 1,000 gates; a gate loading and holding them',
    timeoutS: 240,
  },
  {
    name: 'storage',
    file: 'bench/storage.ts',
    what: 'outbox write cost, backlog replay, HR-scale queries',
    timeoutS: 300,
  },
  {
    name: 'reports',
    file: 'bench/reports.ts',
    what: 'HR at 50,000 people on SQLite and InfluxDB, and a central InfluxDB of 20 sites (stores cached in bench/.cache)',
    // A cold run loads 6.2 M readings (12.4 M lines into influxd); a warm one reuses them
    // (bench/NOTES.md § HR at 50,000 people).
    timeoutS: 1800,
  },
  {
    name: 'auth-burst',
    file: 'bench/auth-burst.ts',
    what: 'hub CPU and a gate’s reconnect time under a 150-address wrong-password burst',
    timeoutS: 120,
  },
  {
    name: 'opcua',
    file: 'bench/opcua.ts',
    what: 'hub memory with and without OPC UA, OPC UA latency',
    timeoutS: 240,
  },
];
