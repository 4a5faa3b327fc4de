// Container health check: `node deploy/healthcheck.mjs tcp://127.0.0.1:1883 http://127.0.0.1:8080/healthz`.
// Healthy (exit 0) when every TCP target accepts a connection and every HTTP target answers 2xx
// within 5 s. No dependencies: it runs in the image as it is.
import net from 'node:net';

const TIMEOUT_MS = 5000;

function tcp(url) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: url.hostname, port: Number(url.port) });
    s.setTimeout(TIMEOUT_MS, () => s.destroy(new Error('timeout')));
    s.once('connect', () => {
      s.end();
      resolve();
    });
    s.once('error', reject);
  });
}

async function http(url) {
  const r = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
}

const targets = process.argv.slice(2).map((t) => new URL(t));
if (targets.length === 0) {
  console.error('usage: healthcheck.mjs tcp://HOST:PORT|http://HOST:PORT/PATH ...');
  process.exit(2);
}
const results = await Promise.allSettled(targets.map((u) => (u.protocol === 'tcp:' ? tcp(u) : http(u))));
let healthy = true;
results.forEach((r, i) => {
  if (r.status === 'rejected') {
    healthy = false;
    console.error(`unhealthy: ${targets[i]}: ${r.reason?.message ?? r.reason}`);
  }
});
process.exit(healthy ? 0 : 1);
