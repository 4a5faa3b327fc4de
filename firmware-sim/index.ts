/**
 * Public API of the device simulator, for the edge's integration tests and the demo.
 * Everything here is a device-side peer on a real wire; nothing imports edge/, dashboard/ or hub/.
 */
export { type Endpoint, formatEndpoint, parseEndpoint, parseTcpAddress } from './endpoint.ts';
export { SimError, SimErrorCode } from './errors.ts';
export {
  type BuiltInThermometer,
  buildFaceEvent,
  type FacePerson,
  fromTenthsCelsius,
} from './face/event-builder.ts';
export {
  FaceTerminal,
  type FaceTerminalOptions,
  type PresentOptions,
  type PresentResult,
} from './face/terminal.ts';
export { GpioPeer, type GpioPeerOptions, type OutputChange, type ReleasePulse } from './gpio/peer.ts';
export { GyCommand, GyModule, type GyModuleOptions } from './gy-mlx90615/module.ts';
export { ModbusSlaveEndpoint, type ModbusSlaveEndpointOptions } from './modbus-ir/slave-endpoint.ts';
export {
  type MeasurementResult,
  ModbusIrThermometer,
  type ModbusIrThermometerOptions,
  type RangeFault,
} from './modbus-ir/thermometer.ts';
export { seededRandom } from './rng.ts';
export { Lane } from './scenario/lane.ts';
export { loadScenarioFile, parseScenario, parseScenarioText } from './scenario/load.ts';
export { generateScenario, type RandomScenarioOptions } from './scenario/random.ts';
export {
  type PersonOutcome,
  type ScenarioReport,
  ScenarioRunner,
  type ScenarioStep,
} from './scenario/runner.ts';
export { Scenario, type ScenarioInput } from './scenario/schema.ts';
export {
  type SimMeasurement,
  type ThermometerFault,
  type ThermometerProtocol,
  ThermometerSim,
  type ThermometerSimOptions,
} from './thermometer-sim.ts';
export { type DeviceLink, SerialLink, type SerialLinkOptions } from './transport/serial-link.ts';
export type { ByteSink, StreamDevice } from './transport/stream-device.ts';
export { TcpDeviceServer, type TcpServerOptions } from './transport/tcp-server.ts';
