/**
 * A deliberately tiny stand-in for the edge, for the simulator's own tests only (the real edge
 * lives in edge/ and is never imported here). It polls a Modbus thermometer over TCP, pairs each
 * realtime face event with the newest unpaired measurement, answers with a verdict that quotes the
 * temperature it paired, and pulses the release line of a fake GPIO edge when it lets someone in.
 */
import net from 'node:net';
import { connect, type MqttClient } from 'mqtt';
import { FaceEventWire } from '../../../protocols/face-mqtt/index.ts';
import {
  decodeInputRegisters,
  decodeResponse,
  encodeRequest,
  type IrSnapshot,
  isNewMeasurement,
  pollRequest,
  RtuStreamDecoder,
} from '../../../protocols/modbus-ir/index.ts';
import { DEFAULT_FEVER_THRESHOLD_TENTHS, formatTenths } from '../../../protocols/temperature.ts';
import { parseFaceTopic } from '../../../protocols/topics.ts';
import type { FakeGpioEdge } from './fake-gpio-edge.ts';

export interface FakeEdgeOptions {
  brokerUrl: string;
  thermometerPort: number;
  slave?: number;
  pollMs?: number;
  gpio?: FakeGpioEdge;
  releaseMs?: number;
  /** How long to wait for a measurement not yet polled when a face event comes (default 300 ms). */
  pairWaitMs?: number;
}

export interface Paired {
  serialNo: number;
  employeeNo: string;
  bodyTenths: number | undefined;
  sequence: number | undefined;
  open: boolean;
}

export interface FakeEdge {
  readonly paired: Paired[];
  readonly measurements: IrSnapshot[];
  close(): Promise<void>;
}

export async function startFakeEdge(o: FakeEdgeOptions): Promise<FakeEdge> {
  const measurements: IrSnapshot[] = [];
  const paired: Paired[] = [];
  let used = 0;
  let prev: IrSnapshot | undefined;

  // ---- thermometer poller ----
  const sock = net.connect({ host: '127.0.0.1', port: o.thermometerPort });
  await new Promise<void>((res, rej) => {
    sock.once('connect', () => res());
    sock.once('error', rej);
  });
  sock.on('error', () => {});
  const decoder = new RtuStreamDecoder('response');
  sock.on('data', (chunk) => {
    for (const frame of decoder.push(chunk)) {
      const r = decodeResponse(frame);
      if (!r.ok || !('registers' in r.value)) continue;
      const snap = decodeInputRegisters(r.value.registers);
      if (!snap) continue;
      if (isNewMeasurement(prev, snap)) measurements.push(snap);
      prev = snap;
    }
  });
  const poll = encodeRequest(pollRequest(o.slave ?? 1));
  const poller = setInterval(() => sock.write(poll), o.pollMs ?? 15);

  // ---- face events ----
  const mqtt: MqttClient = connect(o.brokerUrl, { clientId: 'fake-edge', reconnectPeriod: 100 });
  await new Promise<void>((r) => mqtt.once('connect', () => r()));
  await mqtt.subscribeAsync('face/+/event', { qos: 1 });
  mqtt.on('message', async (topic, payload) => {
    const t = parseFaceTopic(topic);
    if (!t) return;
    const ev = FaceEventWire.parse(JSON.parse(payload.toString()));
    if (!ev.isRealtime || !ev.remoteCheck) {
      mqtt.publish(`face/${t.deviceId}/ack`, JSON.stringify({ serialNo: ev.serialNo }), { qos: 1 });
      return;
    }
    // The measurement may still be on its way (poll interval): wait a little for an unpaired one.
    for (let i = 0; i < (o.pairWaitMs ?? 300) / 10 && measurements.length <= used; i++)
      await new Promise((r) => setTimeout(r, 10));
    const m = measurements.length > used ? measurements[measurements.length - 1] : undefined;
    used = measurements.length;
    const body = m?.bodyTenths;
    const open = body !== undefined && body < DEFAULT_FEVER_THRESHOLD_TENTHS && ev.employeeNoString !== '';
    paired.push({
      serialNo: ev.serialNo,
      employeeNo: ev.employeeNoString,
      bodyTenths: body,
      sequence: m?.sequence,
      open,
    });
    const display = body === undefined ? 'no measurement' : `${formatTenths(body)}°C`;
    mqtt.publish(
      `face/${t.deviceId}/verdict`,
      JSON.stringify({
        serialNo: ev.serialNo,
        checkResult: open ? 'success' : 'failed',
        open,
        display,
        lang: 'en',
      }),
      { qos: 1 },
    );
    if (open) o.gpio?.pulseRelease(o.releaseMs ?? 150);
  });

  return {
    paired,
    measurements,
    async close() {
      clearInterval(poller);
      sock.destroy();
      await mqtt.endAsync(true);
    },
  };
}
