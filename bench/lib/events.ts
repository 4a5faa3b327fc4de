/**
 * The face terminal's `face/{id}/event` payload (devices.md §3), built the same way for every
 * pipeline under test so ThermoGate and the baseline are fed byte-for-byte comparable messages.
 */
import { formatIsoWithOffset } from '../../firmware-sim/time.ts';

const NAMES = ['张伟', '李娜', 'Wang Fang', '刘洋', 'Anna Schmidt', 'Ravi Kumar'];
const SHANGHAI = 8 * 60;

/** Body temperature of passage k, tenths °C: 36.0–37.2 mostly, a fever (37.3–38.1) every 20th. */
export const temperatureOf = (k: number): number => (k % 20 === 7 ? 373 + (k % 9) : 360 + (k % 13));

/** One realtime event with the terminal's own thermometer reading, asking for a verdict. */
export function faceEvent(k: number, serialNo: number, atMs = Date.now()): string {
  const tenths = temperatureOf(k);
  return JSON.stringify({
    serialNo,
    dateTime: formatIsoWithOffset(atMs, SHANGHAI),
    employeeNoString: `E${10000 + (k % 5000)}`,
    name: NAMES[k % NAMES.length],
    similarity: 0.93,
    mask: 'yes',
    currTemperature: tenths / 10,
    thermometryUnit: 'celsius',
    isAbnomalTemperature: tenths >= 373,
    remoteCheck: true,
    isRealtime: true,
  });
}
