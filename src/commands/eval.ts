import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { recognizeSection } from '../config/sections/recognize.ts';
import { createLogger } from '../core/log.ts';
import { readManifest } from '../eval/manifest.ts';
import { runEval } from '../eval/run.ts';
import { formatSummary } from '../eval/score.ts';
import { createRecognizer, decodeImageFile } from '../recognize/index.ts';

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
      try {
        const { summary } = await runEval({
          lines,
          root: opts.root ?? dirname(resolve(opts.manifest)),
          out: opts.out,
          recognizer,
          decode: decodeImageFile,
          onProgress: (n) => bar.update(n),
        });
        bar.stop();
        process.stdout.write(
          opts.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\npredictions ${opts.out}\n`,
        );
      } finally {
        bar.stop();
        await recognizer.close();
      }
    });
}
