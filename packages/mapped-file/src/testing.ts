export { SimulatedDisk } from "./testing/simulated-disk.js";
export type {
  DiskCounters,
  FaultCode,
  FaultOperation,
  FaultOptions,
  PowerCutOptions,
  SimulatedDiskOptions,
  UnsyncedWrite,
} from "./testing/simulated-disk.js";
export { DiskProcess } from "./testing/disk-process.js";
export type { DiskCall, DiskProcessOptions } from "./testing/disk-process.js";
export { VirtualClock } from "./testing/virtual-clock.js";
