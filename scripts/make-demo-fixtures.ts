/**
 * Renders the demo's synthetic street scenes: a car seen from behind on a road, with a US-style
 * plate, drawn from SVG with sharp, slightly blurred and noised so recognition is not trivial.
 * Deterministic (seeded), so re-running gives the same frames. Run with `npm run fixtures`.
 *
 * Writes fixtures/demo/frames/*.jpg, fixtures/demo/hotlist.csv and fixtures/demo/README.md.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { mulberry32 } from './prng.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'fixtures', 'demo');
const FRAMES = join(OUT, 'frames');
const W = 1280;
const H = 720;
/** Plate text font size; DejaVu's cap height is ~0.73 em, so glyphs are ~51 px tall. */
const TEXT_SIZE = 70;

/** One vehicle per frame, in replay order. Index 5 is the demo's hot-list hit. */
export const DEMO_PLATES = [
  { text: '7ABC123', state: 'CALIFORNIA' },
  { text: '8XYZ456', state: 'CALIFORNIA' },
  { text: '6TRK904', state: 'CALIFORNIA' },
  { text: 'KLM4821', state: 'NEVADA' },
  { text: '5HGT372', state: 'CALIFORNIA' },
  { text: '4RDW219', state: 'CALIFORNIA' },
  { text: 'AZP7063', state: 'ARIZONA' },
  { text: '9MNV585', state: 'CALIFORNIA' },
  { text: '3FJK740', state: 'CALIFORNIA' },
  { text: 'BTX2916', state: 'OREGON' },
  { text: '2WEC618', state: 'CALIFORNIA' },
  { text: '8DLP047', state: 'CALIFORNIA' },
] as const;
export const HIT_INDEX = 5;

/** A seeded PRNG so the frames are reproducible. */
const rng = mulberry32;

const CAR_COLORS = ['#7a1f1f', '#1f3f7a', '#2b2b2b', '#9a9a9a', '#e4e4e0', '#1f5a3a', '#5a4a2a', '#40204a'];

/** Rendered width in px of `text` in DejaVu Sans Bold at `size`, measured by trimming a rendering. */
async function textWidth(text: string, size: number): Promise<number> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size * text.length * 1.5}" height="${size * 2}"><rect width="100%" height="100%" fill="#fff"/><text x="${size}" y="${size * 1.4}" font-family="DejaVu Sans" font-weight="bold" font-size="${size}">${text}</text></svg>`;
  const { info } = await sharp(Buffer.from(svg))
    .trim({ background: '#ffffff' })
    .toBuffer({ resolveWithObject: true });
  return info.width;
}

function sceneSvg(plate: { text: string; state: string }, r: () => number, textW: number): string {
  const carW = 560 + Math.round(r() * 80);
  const carH = 330 + Math.round(r() * 40);
  const cx = 640 + Math.round((r() - 0.5) * 260);
  const carX = cx - carW / 2;
  const carY = 300 + Math.round(r() * 40);
  const color = CAR_COLORS[Math.floor(r() * CAR_COLORS.length)]!;
  const plateW = 230 + Math.round(r() * 24);
  const plateH = Math.round(plateW / 2);
  const plateX = cx - plateW / 2;
  const plateY = carY + carH - plateH - 66;
  // Real plates have tall, narrow characters: squeeze the glyphs horizontally to fit the plate.
  const squeeze = Math.min(1, (plateW - 26) / textW);
  const skyTop = `hsl(${205 + Math.round(r() * 15)}, 55%, ${55 + Math.round(r() * 15)}%)`;
  const bldg = Array.from({ length: 9 }, (_, i) => {
    const bw = 110 + Math.round(r() * 60);
    const bh = 90 + Math.round(r() * 150);
    const shade = 90 + Math.round(r() * 80);
    return `<rect x="${i * 150 - 20}" y="${300 - bh}" width="${bw}" height="${bh}" fill="rgb(${shade},${shade - 5},${shade - 12})"/>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${skyTop}"/><stop offset="1" stop-color="#dfe8ef"/></linearGradient>
    <linearGradient id="road" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#6d6d6d"/><stop offset="1" stop-color="#3a3a3a"/></linearGradient>
    <linearGradient id="body" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${color}"/><stop offset="1" stop-color="#111"/></linearGradient>
  </defs>
  <rect width="${W}" height="300" fill="url(#sky)"/>${bldg}
  <polygon points="0,300 ${W},300 ${W},${H} 0,${H}" fill="url(#road)"/>
  <polygon points="630,300 650,300 700,${H} 580,${H}" fill="#d8d8c8" opacity="0.55"/>
  <ellipse cx="${cx}" cy="${carY + carH + 8}" rx="${carW * 0.55}" ry="22" fill="#000" opacity="0.45"/>
  <rect x="${carX + 30}" y="${carY + carH - 40}" width="80" height="60" rx="10" fill="#111"/>
  <rect x="${carX + carW - 110}" y="${carY + carH - 40}" width="80" height="60" rx="10" fill="#111"/>
  <path d="M ${carX + 90} ${carY + 20} Q ${cx} ${carY - 40} ${carX + carW - 90} ${carY + 20} L ${carX + carW - 20} ${carY + 120} L ${carX + 20} ${carY + 120} Z" fill="url(#body)"/>
  <path d="M ${carX + 120} ${carY + 30} Q ${cx} ${carY - 15} ${carX + carW - 120} ${carY + 30} L ${carX + carW - 70} ${carY + 110} L ${carX + 70} ${carY + 110} Z" fill="#1c2630" opacity="0.9"/>
  <rect x="${carX}" y="${carY + 115}" width="${carW}" height="${carH - 115}" rx="28" fill="${color}"/>
  <rect x="${carX + 25}" y="${carY + 145}" width="95" height="48" rx="8" fill="#b3121a"/>
  <rect x="${carX + carW - 120}" y="${carY + 145}" width="95" height="48" rx="8" fill="#b3121a"/>
  <rect x="${carX + 10}" y="${carY + carH - 60}" width="${carW - 20}" height="45" rx="12" fill="#202020" opacity="0.85"/>
  <rect x="${plateX - 8}" y="${plateY - 8}" width="${plateW + 16}" height="${plateH + 16}" rx="6" fill="#151515"/>
  <rect x="${plateX}" y="${plateY}" width="${plateW}" height="${plateH}" rx="6" fill="#f4f4ef" stroke="#222" stroke-width="4"/>
  <text x="${cx}" y="${plateY + plateH * 0.2}" font-family="DejaVu Sans" font-size="${Math.round(plateH * 0.15)}" fill="#1a3c8a" text-anchor="middle" font-weight="bold" letter-spacing="2">${plate.state}</text>
  <text transform="translate(${cx} ${plateY + plateH * 0.86}) scale(${squeeze.toFixed(4)} 1)" font-family="DejaVu Sans" font-weight="bold" font-size="${TEXT_SIZE}" fill="#14213d" text-anchor="middle">${plate.text}</text>
</svg>`;
}

async function renderFrame(plate: { text: string; state: string }, seed: number): Promise<Buffer> {
  const r = rng(seed);
  const textW = await textWidth(plate.text, TEXT_SIZE);
  const { data, info } = await sharp(Buffer.from(sceneSvg(plate, r, textW)))
    .blur(0.9 + r() * 0.5)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  // Mild sensor-like noise, kept small so the JPEGs stay small.
  for (let i = 0; i < data.length; i++) {
    const n = (r() + r() - 1) * 10;
    data[i] = Math.max(0, Math.min(255, data[i]! + n));
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .jpeg({ quality: 72, mozjpeg: true })
    .toBuffer();
}

const HOTLIST_HEADER =
  'plate,state,list,priority,case_number,xref,reason,officer_name,officer_phone,synopsis,informational,shareable,expires';

/**
 * The `list` column is left empty: a CSV holds one list, named where it is loaded (the demo config
 * seeds this file as list LOCAL), and a row naming another list would be rejected.
 */
function hotlistCsv(): string {
  const hit = DEMO_PLATES[HIT_INDEX]!;
  const rows = [
    `${hit.text},CA,,1,DEMO-0001,,Stolen vehicle (demo),,,,false,true,`,
    '1DEM000,CA,,2,DEMO-0002,,Felony vehicle (demo),,,,false,true,',
    '6ZZZ999,NV,,3,DEMO-0003,,Stolen plate (demo),,,,false,true,',
    'DEMO42,CA,,4,,X-DEMO-4,Local investigation (demo),Demo Officer,555-0100,Demo entry,true,false,',
  ];
  return `${HOTLIST_HEADER}\n${rows.join('\n')}\n`;
}

function readme(): string {
  const list = DEMO_PLATES.map((p, i) => `| ${frameName(i)} | ${p.text} | ${p.state} |`);
  return `# Demo fixtures

Made by the project, not copied from anywhere: \`npm run fixtures\` (scripts/make-demo-fixtures.ts)
renders each frame from an SVG scene with sharp (librsvg), using DejaVu Sans Bold from Debian's
\`fonts-dejavu-core\` for the plate text, then applies a slight Gaussian blur and pixel noise and
saves a 1280x720 JPEG. The random layout (car position and color, plate size, sky, buildings) is
seeded, so re-running the script reproduces the same frames.

\`plates.json\` lists each frame's plate (the ground truth, for tests).
The demo config replays \`frames/\` as a \`file\` camera in name order. \`hotlist.csv\` holds four
demo entries; the first one is the plate of ${frameName(HIT_INDEX)}
(${DEMO_PLATES[HIT_INDEX]!.text}), the demo's hit. The other entries match no frame.

Checked when they were made: the project's recognizer (PP-OCRv4, src/recognize) reads all 12
plates correctly, confidence 0.92-0.99; test/integration/track.test.ts checks capture →
recognize → track on them.

| frame | plate | state |
|---|---|---|
${list.join('\n')}
`;
}

function frameName(i: number): string {
  return `frame-${String(i + 1).padStart(3, '0')}.jpg`;
}

async function main(): Promise<void> {
  rmSync(FRAMES, { recursive: true, force: true });
  mkdirSync(FRAMES, { recursive: true });
  let total = 0;
  for (const [i, plate] of DEMO_PLATES.entries()) {
    const jpg = await renderFrame(plate, 1000 + i * 7919);
    const file = join(FRAMES, frameName(i));
    writeFileSync(file, jpg);
    total += jpg.length;
  }
  const manifest = DEMO_PLATES.map((p, i) => ({ file: frameName(i), plate: p.text, state: p.state }));
  writeFileSync(join(OUT, 'plates.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(OUT, 'hotlist.csv'), hotlistCsv());
  writeFileSync(join(OUT, 'README.md'), readme());
  const n = readdirSync(FRAMES).filter((f) => statSync(join(FRAMES, f)).isFile()).length;
  process.stdout.write(`wrote ${n} frames (${(total / 1024).toFixed(0)} KiB) to ${FRAMES}\n`);
}

await main();
