/**
 * Hits at a real list's size: lists of 100k, 1M and 5M plates drawn from US states' standard
 * serial series, plus the labelled plates of a manifest (by default plates-dev's frames). The
 * recognizer reads every frame; each plate reading goes through the unit's own matching
 * (matchRead: candidates and look-alikes find entries) and judgement (judgeMatches: the entry's
 * CTC probability against the best competing text). Reported:
 *  - recall: labelled plates raised, by level (confirmed; confirmed or possible);
 *  - false alerts per 10,000 reads, by level, from reads of plates not on the list: the same
 *    frames with their plates left off the list, and the frames with their plates painted over.
 * `--manifest M --root R` takes any manifest of labelled frames or plate crops (a crop is read as
 * a whole plate and has no painted-over version); `--json` prints one line.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import { recognizeSection } from '../../src/config/sections/recognize.ts';
import { framePlatePrior } from '../../src/domain/plate.ts';
import { US_JURISDICTIONS } from '../../src/domain/us-plates.ts';
import type { HitMatch, PlateReading, RgbImage } from '../../src/domain/types.ts';
import { paintOver } from '../../src/eval/run.ts';
import { confusable } from '../../src/hotlist/confusion.ts';
import { judgeMatches, LEVEL_RULE, STATE_GATE, textProbability } from '../../src/hotlist/evidence.ts';
import { matchRead, type StoredEntry } from '../../src/hotlist/match.ts';
import { shapeDensity, shapeOf } from '../../src/hotlist/shape.ts';
import { createRecognizer, ctcLogProb, decodeImageFile } from '../../src/recognize/index.ts';
import { hotlistSection } from '../../src/config/sections/hotlist.ts';
import { mulberry32 } from '../prng.ts';
import { arg } from './args.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DEV = resolve(ROOT, '../shared/data/plates-dev');

/** A seeded PRNG: the same lists on every run. */
const rng = mulberry32;

/**
 * Registered vehicles per jurisdiction (millions, rounded public figures): lists hold plates in
 * about these proportions.
 */
const REGISTRATIONS: Record<string, number> = {
  CA: 31,
  TX: 23,
  FL: 18,
  NY: 11,
  PA: 10,
  IL: 10,
  OH: 11,
  GA: 9,
  NC: 9,
  MI: 8,
  NJ: 6,
  VA: 7,
  WA: 7,
  AZ: 6,
  TN: 6,
  IN: 6,
  MA: 5,
  MO: 6,
  MN: 5,
  WI: 5,
  CO: 5,
  MD: 4,
  SC: 4,
  AL: 5,
  LA: 4,
  KY: 4,
  OR: 4,
  OK: 4,
  CT: 3,
  UT: 3,
  IA: 3,
  NV: 2.5,
  AR: 3,
  MS: 2,
  KS: 3,
  NM: 2,
  NE: 2,
  ID: 2,
  WV: 1.5,
  HI: 1.2,
  NH: 1.3,
  ME: 1.1,
  MT: 1.9,
  RI: 0.9,
  DE: 1,
  SD: 1.2,
  ND: 0.9,
  AK: 0.8,
  DC: 0.3,
  VT: 0.6,
  WY: 0.8,
};

const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';
const space = (pat: string) => [...pat].reduce((n, c) => n * (c === 'D' ? 10 : LETTERS.length), 1);

/**
 * `n` distinct plates: a state in proportion to its registrations, then a plate uniformly among
 * its standard series' plates (a series in proportion to how many plates it holds).
 */
function drawList(n: number, seed: number): Map<string, string> {
  const r = rng(seed);
  const states = US_JURISDICTIONS.map((j) => ({ j, w: REGISTRATIONS[j.code] ?? 1 }));
  const total = states.reduce((a, s) => a + s.w, 0);
  const pick = <T>(items: readonly { w: number; v: T }[], sum: number): T => {
    let x = r() * sum;
    for (const it of items) {
      x -= it.w;
      if (x <= 0) return it.v;
    }
    return items[items.length - 1]!.v;
  };
  const series = new Map(
    US_JURISDICTIONS.map((j) => {
      const items = j.patterns.map((p) => ({ w: space(p), v: p }));
      return [j.code, { items, sum: items.reduce((a, i) => a + i.w, 0) }];
    }),
  );
  const out = new Map<string, string>();
  while (out.size < n) {
    const j = pick(
      states.map((s) => ({ w: s.w, v: s.j })),
      total,
    );
    const { items, sum } = series.get(j.code)!;
    const pat = pick(items, sum);
    let t = '';
    for (const c of pat)
      t += c === 'D' ? String(Math.floor(r() * 10)) : LETTERS[Math.floor(r() * LETTERS.length)];
    out.set(t, j.code);
  }
  return out;
}

/**
 * How likely a text is on a list of `n` plates drawn as drawList draws them: the sum over states
 * of (plates drawn there) / (plates in its series) when the text fits one of its series.
 */
function listDensity(n: number): (text: string) => number {
  const total = US_JURISDICTIONS.reduce((a, j) => a + (REGISTRATIONS[j.code] ?? 1), 0);
  const fits = (t: string, pat: string) =>
    t.length === pat.length &&
    [...pat].every((c, i) => (c === 'D' ? /[0-9]/.test(t[i]!) : LETTERS.includes(t[i]!)));
  return (t) => {
    let d = 0;
    for (const j of US_JURISDICTIONS) {
      if (!j.patterns.some((p) => fits(t, p))) continue;
      const plates = j.patterns.reduce((a, p) => a + space(p), 0);
      d += Math.min(1, (n * (REGISTRATIONS[j.code] ?? 1)) / total / plates);
    }
    return Math.min(1, d);
  };
}

function entry(plate: string, state: string | null): StoredEntry {
  return {
    list: 'BENCH',
    listVersion: '1',
    plate,
    raw: plate,
    state,
    priority: 1,
    caseNumber: null,
    xref: null,
    reason: 'bench',
    officerName: null,
    officerPhone: null,
    synopsis: null,
    informational: false,
    shareable: false,
    source: null,
    created: 0,
    expires: null,
  };
}

const GLYPHS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Every text within `maxSubs` look-alike substitutions of `text` (itself included). */
function lookalikeVariants(text: string, maxSubs: number): string[] {
  let level = [text];
  const all = new Set(level);
  for (let k = 0; k < maxSubs; k++) {
    const next: string[] = [];
    for (const t of level) {
      for (let i = 0; i < t.length; i++) {
        for (const g of GLYPHS) {
          if (!confusable(t[i]!, g)) continue;
          const v = t.slice(0, i) + g + t.slice(i + 1);
          if (!all.has(v)) {
            all.add(v);
            next.push(v);
          }
        }
      }
    }
    level = next;
  }
  return [...all];
}

export interface FrameReads {
  truth: string[];
  plates: PlateReading[];
  masked: PlateReading[];
}

/**
 * Reads every image of a manifest as the unit would: a frame whole (and again with its labelled
 * plates painted over, for reads of plates not on the list), a plate crop (`"crop": true`) as a
 * whole plate (nothing is left of it painted over). A manifest with no image is an error, not a
 * row of zeros.
 */
export async function readManifest(manifest: string, root: string, config?: string): Promise<FrameReads[]> {
  const lines = readFileSync(manifest, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(
      (l) =>
        JSON.parse(l) as {
          image: string;
          crop?: boolean;
          plates: { text: string; box: [number, number, number, number] }[];
        },
    );
  if (lines.length === 0) throw new Error(`no labelled images in ${manifest}`);
  const section = config ? loadConfig(config).recognize : recognizeSection.parse({});
  const rec = await createRecognizer({ ...section, threads: 1 }, pino({ level: 'silent' }));
  const out: FrameReads[] = [];
  try {
    // every plate is kept here; figuresAt drops those the unit would drop (minConfidence)
    for (const l of lines) {
      const img: RgbImage = await decodeImageFile(resolve(root, l.image));
      const truth = l.plates.map((p) => p.text.toUpperCase());
      if (l.crop) {
        const p = await rec.readCrop(img);
        out.push({ truth, plates: p ? [p] : [], masked: [] });
        continue;
      }
      const plates = await rec.readFrame(img);
      const copy = { ...img, data: Buffer.from(img.data) };
      for (const p of l.plates) paintOver(copy, p.box);
      out.push({ truth, plates, masked: await rec.readFrame(copy) });
    }
  } finally {
    await rec.close();
  }
  return out;
}

/** ALPR_BENCH_CANDIDATES / ALPR_BENCH_MAXSUBS: other hotlist.candidates / lookalikeMaxSubs, for comparison. */
const hotCfg = hotlistSection.parse({
  ...(process.env.ALPR_BENCH_CANDIDATES ? { candidates: Number(process.env.ALPR_BENCH_CANDIDATES) } : {}),
  ...(process.env.ALPR_BENCH_MAXSUBS ? { lookalikeMaxSubs: Number(process.env.ALPR_BENCH_MAXSUBS) } : {}),
});
/**
 * ALPR_BENCH_RULE=confirmedMin,confirmedOdds,possibleMin,possibleRatio,possibleOdds: another
 * judgement rule, for comparison.
 */
const RULE = process.env.ALPR_BENCH_RULE
  ? (([a, b, c, d, e]) => ({
      confirmedMin: a!,
      confirmedOdds: b!,
      possibleMin: c!,
      possibleRatio: d!,
      possibleOdds: e ?? LEVEL_RULE.possibleOdds,
    }))(process.env.ALPR_BENCH_RULE.split(',').map(Number))
  : LEVEL_RULE;

/** The unit's density function over a list held in memory (as the store counts its plate index). */
function densityOf(plates: Iterable<string>): (text: string) => number {
  const counts = new Map<number, number>();
  for (const t of plates) {
    const s = shapeOf(t);
    if (s !== null) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return (t) => shapeDensity(counts, t);
}

/** The probability the unit's judgement gives `text` for a reading (its CTC evidence and plate prior). */
function truthProbability(p: PlateReading, text: string): number {
  const ev = { frames: [p.evidence ?? []], candidates: p.candidates };
  return textProbability(ev, text, (e, t) => ctcLogProb(e.probs, e.T, e.K, t)) * framePlatePrior(text);
}

/** The unit's matching and judgement of one plate reading against a list held in memory. */
function alerts(
  p: PlateReading,
  list: Map<string, string | null>,
  density: (text: string) => number,
  source?: Parameters<typeof matchRead>[1],
): HitMatch[] {
  const src = source ?? {
    byFold: () => [],
    wildcards: () => [],
    near: (text: string, maxSubs: number) =>
      lookalikeVariants(text, maxSubs)
        .filter((v) => list.has(v))
        .map((v) => entry(v, list.get(v) ?? null)),
  };
  const gate = p.state && p.state.confidence >= STATE_GATE ? p.state.code : null;
  const found = matchRead({ plate: p.text, candidates: p.candidates, state: gate }, src, {
    maxSubs: hotCfg.lookalikeMaxSubs,
    candidates: hotCfg.candidates,
    now: 0,
  });
  return judgeMatches(
    found,
    { frames: [p.evidence ?? []], candidates: p.candidates },
    (ev, t) => ctcLogProb(ev.probs, ev.T, ev.K, t),
    RULE,
    undefined,
    density,
  );
}

/**
 * The figures for one list size. As in the unit, plates at or above `floor` are matched (those
 * below minConfidence only against the hot list), and reads are the plates at or above `minConf`.
 */
/**
 * False alerts expected per read on a list of `n` drawn plates (no sampling luck): every text the
 * unit's matching would find for the read is judged as if listed, and counts by how likely it is
 * to be on such a list. The read's own (labelled) texts are left out: they are not on it.
 */
function expectedFalse(
  p: PlateReading,
  n: number,
  truths: readonly string[],
  unitDensity: (text: string) => number,
): { confirmed: number; possible: number } {
  const density = listDensity(n);
  const everything = {
    byFold: () => [],
    wildcards: () => [],
    near: (text: string, maxSubs: number) =>
      lookalikeVariants(text, maxSubs)
        .filter((v) => !truths.includes(v))
        .map((v) => entry(v, null)),
  };
  const out = { confirmed: 0, possible: 0 };
  for (const m of alerts(p, new Map(), unitDensity, everything)) {
    if (m.level === 'confirmed') out.confirmed += density(m.entryPlate);
    else out.possible += density(m.entryPlate);
  }
  return out;
}

export function figuresAt(
  all: FrameReads[],
  size: number,
  minConf: number,
  floor: number,
): Record<string, number> {
  const keep = (ps: PlateReading[]) => ps.filter((p) => p.confidence >= Math.min(floor, minConf));
  const frames = all.map((f) => ({ ...f, plates: keep(f.plates), masked: keep(f.masked) }));
  const base = drawList(size, 20261204 + size);
  const truths = new Set(frames.flatMap((f) => f.truth));
  // listed: the manifest's plates (state unknown to the list) on top of the drawn ones
  const listed = new Map<string, string | null>(base);
  for (const t of truths) listed.set(t, null);
  const unlisted = new Map<string, string | null>(base);
  for (const t of truths) unlisted.delete(t);
  const listedDensity = densityOf(listed.keys());
  const unlistedDensity = densityOf(unlisted.keys());
  let confirmed = 0;
  let any = 0;
  let reads = 0;
  let falseConfirmed = 0;
  let falsePossible = 0;
  const expected = { confirmed: 0, possible: 0 };
  for (const f of frames) {
    const levels = f.plates.flatMap((p) =>
      alerts(p, listed, listedDensity).filter((m) => f.truth.includes(m.entryPlate)),
    );
    if (levels.some((m) => m.level === 'confirmed')) confirmed++;
    if (levels.length > 0) any++;
    else if (process.env.ALPR_BENCH_VERBOSE)
      process.stderr.write(
        `missed ${f.truth.join('/')} at ${size}: ${f.plates.map((p) => `${p.text} ${p.confidence.toFixed(3)} [${p.candidates.map((c) => c.text).join(' ')}] ${f.truth.map((t) => `p(${t})=${truthProbability(p, t).toFixed(3)} density=${listedDensity(t).toExponential(1)}`).join(' ')}`).join('; ')}\n`,
      );
    for (const p of [...f.plates, ...f.masked]) {
      if (p.confidence >= minConf) reads++;
      const e = expectedFalse(p, size, f.truth, unlistedDensity);
      expected.confirmed += e.confirmed;
      expected.possible += e.possible;
      for (const m of alerts(p, unlisted, unlistedDensity)) {
        if (process.env.ALPR_BENCH_VERBOSE)
          process.stderr.write(
            `false ${m.level} ${p.text} ${p.confidence.toFixed(3)} -> ${m.entryPlate} p=${m.probability} state=${m.state}\n`,
          );
        if (m.level === 'confirmed') falseConfirmed++;
        else falsePossible++;
      }
    }
  }
  const n = Math.max(1, frames.length);
  return {
    recall_confirmed: confirmed / n,
    recall_any: any / n,
    // expected over lists drawn this way (every read's alerting texts weighed by how likely each
    // is listed): the headline; the counts on the one list drawn are printed beside it
    false_confirmed_per_10k: (expected.confirmed / Math.max(1, reads)) * 10_000,
    false_possible_per_10k: (expected.possible / Math.max(1, reads)) * 10_000,
    drawn_list_false_confirmed: falseConfirmed,
    drawn_list_false_possible: falsePossible,
    reads,
  };
}

export async function benchHits(): Promise<Record<string, number | string>> {
  const manifest = arg('--manifest') ?? resolve(DEV, 'endtoend-us.jsonl');
  const root = arg('--root') ?? (arg('--manifest') ? resolve(manifest, '..') : DEV);
  if (!existsSync(manifest)) return { skipped: `no manifest at ${manifest} (pass --manifest M --root R)` };
  const cache = process.env.ALPR_BENCH_READS;
  const frames: FrameReads[] =
    cache && existsSync(cache)
      ? revive(JSON.parse(readFileSync(cache, 'utf8')))
      : await readManifest(manifest, root, arg('--config'));
  if (cache && !existsSync(cache))
    writeFileSync(
      cache,
      JSON.stringify(frames, (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)),
    );
  const sizes = (arg('--sizes') ?? '100000,1000000,5000000').split(',').map(Number);
  const cfgPath = arg('--config');
  const rc = cfgPath ? loadConfig(cfgPath).recognize : recognizeSection.parse({});
  const minConf = Number(process.env.ALPR_BENCH_MINCONF ?? rc.minConfidence);
  const floor = Number(process.env.ALPR_BENCH_FLOOR ?? rc.hotlistFloor);
  const out: Record<string, number | string> = { frames: frames.length };
  let last: Record<string, number> = {};
  for (const size of sizes) {
    last = figuresAt(frames, size, minConf, floor);
    const tag = size >= 1e6 ? `${size / 1e6}M` : `${size / 1e3}k`;
    for (const [k, v] of Object.entries(last)) out[`${tag} ${k}`] = v;
  }
  // the headline keys: the largest list
  for (const k of ['recall_confirmed', 'recall_any', 'false_confirmed_per_10k', 'false_possible_per_10k'])
    out[k] = last[k] ?? Number.NaN;
  return out;
}

/** Reads saved by ALPR_BENCH_READS (to compare rules without reading the frames again). */
function revive(frames: FrameReads[]): FrameReads[] {
  const fix = (p: PlateReading) => ({
    ...p,
    evidence: p.evidence?.map((e) => ({ ...e, probs: Float32Array.from(e.probs) })),
  });
  return frames.map((f) => ({ ...f, plates: f.plates.map(fix), masked: f.masked.map(fix) }));
}
