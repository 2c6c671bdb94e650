export { SimulatedDisk } from "./testing/simulated-disk.js";
export type { DiskCounters, FaultCode, FaultOperation, FaultOptions, PowerCutOptions, SimulatedDiskOptions, UnsyncedWrite } from "./testing/simulated-disk.js";
