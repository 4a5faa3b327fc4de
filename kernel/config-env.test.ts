import { describe, expect, it } from 'vitest';
import { applyEnvOverrides } from './config-env.ts';

describe('applyEnvOverrides', () => {
  it('sets the key a variable names, matching existing keys regardless of case and underscores', () => {
    const raw = { mqtt: { url: 'u', passwordFile: 'a' }, limits: { maxPayloadBytes: 1 } };
    const out = applyEnvOverrides(
      raw,
      {
        TG_HUB__MQTT__PASSWORD_FILE: '/run/pw',
        TG_HUB__LIMITS__MAX_PAYLOAD_BYTES: '131072',
        TG_HUB__FLEET__HEARTBEAT_TIMEOUT_MS: '5000',
        TG_EDGE__MQTT__URL: 'not mine',
      },
      'TG_HUB__',
    );
    expect(out).toEqual({
      mqtt: { url: 'u', passwordFile: '/run/pw' },
      limits: { maxPayloadBytes: 131072 },
      fleet: { heartbeatTimeoutMs: 5000 },
    });
    expect(raw.mqtt.passwordFile).toBe('a');
  });
});
