import { describe, expect, it } from 'vitest';
import { parseTransportUrl, transportFromUrl } from './from-url.ts';
import { SerialTransport } from './serial-transport.ts';
import { TcpTransport } from './tcp-transport.ts';

describe('transport from a config string', () => {
  it.each([
    ['/dev/ttyUSB0', { kind: 'serial', path: '/dev/ttyUSB0' }],
    [
      '/dev/serial/by-id/usb-FTDI_FT232R-if00-port0',
      { kind: 'serial', path: '/dev/serial/by-id/usb-FTDI_FT232R-if00-port0' },
    ],
    ['tcp://10.0.0.5:4002', { kind: 'tcp', host: '10.0.0.5', port: 4002 }],
    ['tcp://serial-server.local', { kind: 'tcp', host: 'serial-server.local', port: 4001 }],
    ['tcp://[::1]:5000', { kind: 'tcp', host: '::1', port: 5000 }],
  ])('%s', (spec, expected) => {
    expect(parseTransportUrl(spec)).toEqual(expected);
  });

  it.each([
    '',
    'ttyUSB0',
    'udp://10.0.0.5:4001',
    'rfc2217://h:1',
    'tcp://',
    'tcp://h:4001/x',
    'tcp://h:99999',
  ])('refuses %j with a typed error naming both forms', (spec) => {
    expect(() => parseTransportUrl(spec)).toThrow(
      expect.objectContaining({ code: 'TG_EDGE_TRANSPORT_BAD_URL' }),
    );
  });

  it('builds the matching transport without opening it', () => {
    const s = transportFromUrl('/dev/ttyUSB0', { baudRate: 19200 });
    expect(s).toBeInstanceOf(SerialTransport);
    expect(s.description).toBe('/dev/ttyUSB0@19200');
    expect(s.isOpen).toBe(false);
    const t = transportFromUrl('tcp://127.0.0.1');
    expect(t).toBeInstanceOf(TcpTransport);
    expect(t.description).toBe('tcp://127.0.0.1:4001');
  });
});
