// The public API of secora.
export { type Check, type DoctorReport, formatDoctor, runDoctor } from './doctor.js';
export { type BuildInfo, type CudaDeviceInfo, NativeLoadError, native } from './native.js';
