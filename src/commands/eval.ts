import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { recognizeSection } from '../config/sections/recognize.ts';
import { createLogger } from '../core/log.ts';
import { readManifest } from '../eval/manifest.ts';
import { runEval } from '../eval/run.ts';
import { type FalsePlates, falsePlates, formatSummary } from '../eval/score.ts';
import { CascadeRecognizer, createRecognizer, decodeImageFile, legendLook } from '../recognize/index.ts';

interface EvalOpts {
  manifest: string;
  root?: string;
  out: string;
  config?: string;
  threads?: number;
  detMaxSide?: number;
  limit?: number;
  recognize?: string;
  json?: boolean;
  plateFree?: boolean;
  threshold?: number;
}

async function progressBar(total: number): Promise<{ update: (n: number) => void; stop: () => void }> {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'eval [{bar}] {value}/{total} {percentage}% eta {eta}s',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (n) => bar.update(n), stop: () => bar.stop() };
}

function formatFalsePlates(f: FalsePlates, threshold?: number, readFloor?: number): string {
  return [
    `plate-free frames       ${f.frames} (labelled plates painted over)`,
    `false plates per frame  ${f.perFrame.toFixed(3)} (every text region read, any confidence)`,
    `frames with any         ${(f.framesWithAny * 100).toFixed(1)}%`,
    ...(f.perFrameReads === undefined
      ? []
      : [
          `reads per frame         ${f.perFrameReads.toFixed(3)} (>= minConfidence ${readFloor}: what the unit reports)`,
        ]),
    ...(f.perFrameAbove === undefined ? [] : [`per frame at >= ${threshold}  ${f.perFrameAbove.toFixed(3)}`]),
    ...(f.perFrameAlertable === undefined
      ? []
      : [`that could be confirmed (x plate-likeness >= ${threshold})  ${f.perFrameAlertable.toFixed(3)}`]),
  ].join('\n');
}

/** `alpr eval`: runs the recognizer over a manifest, writes predictions, prints the scores. */
export function registerEvalCommands(program: Command): void {
  program
    .command('eval')
    .description('Evaluate the recognizer on a manifest (JSON Lines) and write predictions')
    .requiredOption('--manifest <file>', 'manifest JSONL (see shared/data/README.md)')
    .option('--root <dir>', "images' root folder (default: the manifest's folder)")
    .requiredOption('--out <file>', 'predictions JSONL to write')
    .option(
      '-c, --config <file>',
      "take the recognize section from this config (default: the section's defaults)",
    )
    .option('--threads <n>', 'onnxruntime threads per model (overrides the config)', Number)
    .option('--det-max-side <px>', 'detector long side (overrides the config)', Number)
    .option('--limit <n>', 'only the first N lines', Number)
    .option('--recognize <json>', 'override recognize settings, e.g. \'{"detThreshold":0.25}\'')
    .option('--json', 'print the summary as JSON')
    .option(
      '--plate-free',
      'paint over every labelled plate and count the plates still reported (false plates per frame)',
    )
    .option('--threshold <conf>', 'with --plate-free: also count plates at or above this confidence', Number)
    .action(async (opts: EvalOpts) => {
      const base = opts.config ? loadConfig(opts.config).recognize : recognizeSection.parse({});
      const cfg = recognizeSection.parse({
        ...base,
        ...(opts.recognize ? (JSON.parse(opts.recognize) as object) : {}),
        ...(opts.threads ? { threads: opts.threads } : {}),
        ...(opts.detMaxSide ? { detMaxSide: opts.detMaxSide } : {}),
      });
      let lines = await readManifest(opts.manifest);
      if (opts.limit) lines = lines.slice(0, opts.limit);
      const log = createLogger({ level: process.env.ALPR_LOG_LEVEL ?? 'warn', destination: process.stderr });
      const recognizer = await createRecognizer(cfg, log);
      const bar = await progressBar(lines.length);
      // An escalating recognizer counts what it sent on; the warm-up's images are not the manifest's.
      const stats = recognizer instanceof CascadeRecognizer ? recognizer.stats : null;
      const before = stats ? { ...stats } : null;
      let sentOnBefore = stats?.escalated ?? 0;
      try {
        const { summary, predictions } = await runEval({
          lines,
          root: opts.root ?? dirname(resolve(opts.manifest)),
          out: opts.out,
          recognizer,
          decode: decodeImageFile,
          onProgress: (n) => {
            bar.update(n);
            if (stats) sentOnBefore = stats.escalated;
          },
          maskPlates: opts.plateFree === true,
          // the car's legend look, where the config runs it (an idle-escalating profile's)
          ...(cfg.state && cfg.escalation === 'idle' && stats
            ? {
                legendLook: async (img, plate) => {
                  // as in the car, only where the screen was sure: a frame sent on had the
                  // thorough look, which reads the plate's window, legend included
                  if (stats.escalated > sentOnBefore) return undefined;
                  // a crop read that counts in neither the images nor the share sent on
                  const kept = { ...stats };
                  try {
                    return await legendLook(recognizer, img, plate.box);
                  } finally {
                    Object.assign(stats, kept);
                  }
                },
              }
            : {}),
        });
        bar.stop();
        if (opts.plateFree) {
          const f = falsePlates(predictions, opts.threshold, cfg.minConfidence);
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(f)}\n`
              : `${formatFalsePlates(f, opts.threshold, cfg.minConfidence)}\n`,
          );
          return;
        }
        const escalated =
          stats && before
            ? (stats.escalated - before.escalated) / Math.max(1, stats.images - before.images)
            : null;
        process.stdout.write(
          opts.json
            ? `${JSON.stringify({ ...summary, escalated })}\n`
            : `${formatSummary(summary)}\n${escalated === null ? '' : `sent on        ${(escalated * 100).toFixed(1)}% (escalateBelow)\n`}predictions ${opts.out}\n`,
        );
      } finally {
        bar.stop();
        await recognizer.close();
      }
    });
}
