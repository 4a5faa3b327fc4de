/** The CLI's human output: one line per event on stdout, prefixed with the wall-clock time. */
export function say(text: string): void {
  const d = new Date();
  const hh = String(d.getHours()).padStart(2, '0');
  const mm = String(d.getMinutes()).padStart(2, '0');
  const ss = String(d.getSeconds()).padStart(2, '0');
  const ms = String(d.getMilliseconds()).padStart(3, '0');
  process.stdout.write(`${hh}:${mm}:${ss}.${ms} ${text}\n`);
}
