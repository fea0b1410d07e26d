/**
 * Imported first by the `alpr` entry point, before any module loads onnxruntime-node. Left alone,
 * its native library writes a device id under $HOME/.cache/Microsoft and sends usage events to
 * Microsoft; it reads ORT_DISABLE_TELEMETRY from the process environment when it starts. Setting
 * it here (not only in the unit file) covers every way the CLI is run: a technician's shell, the
 * garage self-test, the bundle. The recognizer's worker threads read the same process environment.
 * onnxruntime-node 1.30 has no `ort.env` switch for this: the variable is the only one.
 */
process.env.ORT_DISABLE_TELEMETRY = '1';

/** What the entry point set, for the self-test report and tests. */
export const ORT_TELEMETRY_OFF = process.env.ORT_DISABLE_TELEMETRY === '1';
