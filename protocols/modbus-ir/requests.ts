/** The requests a gate sends to the thermometer, built once so the edge and tests agree. */
import { FunctionCode, type ModbusRequest } from './rtu.ts';
import {
  HOLDING_REGISTER_COUNT,
  HOLDING_REGISTER_FIRST,
  INPUT_REGISTER_COUNT,
  toUint16,
} from './registers.ts';

export const pollRequest = (slave: number): ModbusRequest => ({
  slave,
  fn: FunctionCode.ReadInputRegisters,
  address: 0,
  quantity: INPUT_REGISTER_COUNT,
});

export const readSettingsRequest = (slave: number): ModbusRequest => ({
  slave,
  fn: FunctionCode.ReadHoldingRegisters,
  address: HOLDING_REGISTER_FIRST,
  quantity: HOLDING_REGISTER_COUNT,
});

export const writeRegisterRequest = (slave: number, address: number, signedValue: number): ModbusRequest => ({
  slave,
  fn: FunctionCode.WriteSingleRegister,
  address,
  value: toUint16(signedValue),
});
