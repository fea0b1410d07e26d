import { resolve } from 'node:path';
import type { Command } from 'commander';
import sharp from 'sharp';
import { createSource } from '../capture/index.ts';
import { FpsMeter, redactUrl } from '../capture/pure.ts';
import { loadConfig } from '../config/load.ts';
import { credentialsDir } from '../config/secrets.ts';
import { createLogger } from '../core/log.ts';
import { AlprError, ErrorCodes } from '../domain/errors.ts';
import type { Frame } from '../domain/types.ts';

interface TestOptions {
  config: string;
  seconds?: string;
  out?: string;
}

/** Opens one camera for a technician: prints fps each second, saves the last frame as a JPEG. */
async function cameraTest(id: string, opts: TestOptions): Promise<void> {
  const cfg = loadConfig(opts.config);
  const cam = cfg.cameras.find((c) => c.id === id);
  if (!cam) {
    const known = cfg.cameras.map((c) => c.id).join(', ') || '(none)';
    throw new AlprError(ErrorCodes.INPUT, `no camera "${id}" in ${opts.config}; cameras: ${known}`);
  }
  const seconds = Math.max(1, Math.min(600, Number(opts.seconds) || 5));
  const out = resolve(opts.out ?? `camera-${id}.jpg`);
  const log = createLogger({ level: process.env.ALPR_LOG_LEVEL ?? 'warn', destination: process.stderr });
  const source = createSource(cam, log.child({ stage: 'capture' }), credentialsDir(cfg.paths.credentialsDir));
  const meter = new FpsMeter(2000);
  let last: Frame | null = null;
  let count = 0;
  let lastError = '';
  let damaged = 0;
  let damage = '';
  // Camera URLs often carry a password: never print it.
  const where = cam.type === 'file' ? cam.path : redactUrl(cam.url);
  process.stdout.write(`camera ${id} (${cam.type}, ${cam.orientation}): ${where}\n`);
  await source.start({
    onFrame: (f) => {
      last = f;
      count++;
      meter.tick(Date.now());
    },
    onError: (reason) => {
      lastError = reason;
    },
    onEnd: () => {},
    onDamaged: (frames, line) => {
      damaged += frames;
      damage = line;
    },
  });
  try {
    for (let s = 1; s <= seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      const f = last as Frame | null;
      const size = f ? `${f.width}x${f.height}` : '-';
      const hurt = damaged > 0 ? `  damaged ${damaged} (${damage})` : '';
      const err = `${hurt}${lastError ? `  last error: ${lastError}` : ''}`;
      process.stdout.write(
        `${String(s).padStart(3)} s  frames ${String(count).padStart(5)}  fps ${meter.fps(Date.now()).toFixed(1).padStart(5)}  ${size}${err}\n`,
      );
    }
  } finally {
    await source.stop();
  }
  const f = last as Frame | null;
  if (!f) {
    process.stdout.write(`no frame from camera ${id} in ${seconds} s\n`);
    process.exitCode = 1;
    return;
  }
  await sharp(f.data, { raw: { width: f.width, height: f.height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toFile(out);
  const hurt = damaged > 0 ? ` (${damaged} reported damaged by the decoder)` : '';
  process.stdout.write(`${count} frames${hurt}, target ${cam.fps} fps; snapshot saved to ${out}\n`);
}

/** `alpr camera …` subcommands. */
export function registerCameraCommands(program: Command): void {
  const camera = program.command('camera').description('Camera tools for technicians');
  camera
    .command('test')
    .argument('<id>', 'camera id from the config')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .option('-s, --seconds <n>', 'how long to watch the camera, 1-600 (default: 5)')
    .option('-o, --out <file>', 'snapshot JPEG (default: ./camera-<id>.jpg)')
    .description('Open one camera, print its fps each second and save a snapshot')
    .action((id: string, opts: TestOptions) => cameraTest(id, opts));
}
