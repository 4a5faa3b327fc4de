export * from './crc16.ts';
export * from './rtu.ts';
export * from './rtu-stream.ts';
export * from './registers.ts';
export * from './requests.ts';
