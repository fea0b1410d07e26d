/**
 * Everything the unit writes, scanned for known plaintext after a short real run of the daemon
 * (`alpr run` on the demo frames and GPS route, store key set, a hot list with known free text):
 * every file under the data folder (databases, WAL/SHM, state files, anything else) and the log
 * output (stdout and stderr) must hold none of the plates read, the hot list's reason, synopsis,
 * officer's name and phone, nor the GPS positions as text. The scan is checked to find what it
 * looks for (the hot-list source file, and a file planted with one needle) so it can fail.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, spawnCli } from '../helpers/cli.ts';
import { DEMO_HOT, DEMO_PLATES } from '../helpers/demo.ts';

const FREE_TEXT = {
  reason: 'Stolen from Larkspur marina',
  synopsis: 'Driver seen near the Quimby Street warehouse',
  officerName: 'Officer Zenobia Quartermain',
  officerPhone: '916-555-0142',
};

/** The route's fixes as a unit could write them: decimal degrees (4 places) and NMEA ddmm.mmmm. */
function positionNeedles(): string[] {
  const out = new Set<string>();
  const text = readFileSync(join(ROOT, 'fixtures/gps/demo-route.nmea'), 'utf8');
  for (const line of text.split('\n')) {
    const f = line.split(',');
    if (!f[0]?.endsWith('RMC') || f[2] !== 'A') continue;
    const deg = (v: string, d: number, hemi: string) =>
      (Number(v.slice(0, d)) + Number(v.slice(d)) / 60) * (hemi === 'S' || hemi === 'W' ? -1 : 1);
    out.add(deg(f[3]!, 2, f[4]!).toFixed(4));
    out.add(deg(f[5]!, 3, f[6]!).toFixed(4));
    out.add(f[3]!.slice(0, 9));
    out.add(f[5]!.slice(0, 10));
  }
  return [...out];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Each needle found, with where: as UTF-8/latin1 bytes and as UTF-16LE (SQLite can store either). */
function scan(files: Record<string, Buffer>, needles: string[]): string[] {
  const found: string[] = [];
  for (const [name, bytes] of Object.entries(files))
    for (const n of needles)
      if (bytes.includes(Buffer.from(n, 'utf8')) || bytes.includes(Buffer.from(n, 'utf16le')))
        found.push(`${name}: ${n}`);
  return found;
}

describe('what the unit writes holds no plaintext of reads, hot lists or positions', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'alpr-scan-'));
  const data = join(tmp, 'data');
  let stdout = '';
  let stderr = '';
  let code: number | null = null;
  const hotCsv = join(tmp, 'hotlist.csv');

  beforeAll(async () => {
    const creds = join(tmp, 'creds');
    mkdirSync(creds);
    mkdirSync(data);
    writeFileSync(join(creds, 'store.key'), 'cd'.repeat(32));
    writeFileSync(
      hotCsv,
      'plate,state,list,priority,case_number,xref,reason,officer_name,officer_phone,synopsis,informational,shareable,expires\n' +
        `${DEMO_HOT},CA,,1,SCAN-0001,,${FREE_TEXT.reason},${FREE_TEXT.officerName},${FREE_TEXT.officerPhone},${FREE_TEXT.synopsis},false,true,\n`,
    );
    const config = join(tmp, 'config.yaml');
    writeFileSync(
      config,
      `version: 1
unit: { id: scan-0001, agency: scan-pd, mode: car }
paths: { dataDir: ${data}, credentialsDir: ${creds} }
log: { level: debug }
cameras:
  - { id: front, type: file, orientation: front, path: ${join(ROOT, 'fixtures/demo/frames')}, fps: 2, loop: false }
recognize: { threads: 1 }
gps: { type: replay, path: ${join(ROOT, 'fixtures/gps/demo-route.nmea')}, speed: 4, loop: true, startAtFix: true }
hotlist: { seedCsv: [{ list: SVS, path: ${hotCsv} }] }
track: { leaveMs: 1000 }
sync: { type: none }
health: { http: { port: 0 } }
web: { port: 0 }
`,
    );
    const child = spawnCli(['run', '--config', config]);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !/"msg":"hit"/.test(stdout)) await new Promise((r) => setTimeout(r, 250));
    // The rest of the frames, the last track leaving, the store's writes.
    await new Promise((r) => setTimeout(r, 6000));
    child.kill('SIGTERM');
    code = await new Promise((r) => child.on('exit', (c) => r(c)));
  }, 90_000);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('ran: the hot plate was read and hit, reads were stored, and the daemon stopped cleanly', () => {
    expect(code).toBe(0);
    expect(stdout).toMatch(/"msg":"hit"/);
    expect(filesUnder(data).some((f) => f.endsWith('reads.sqlite'))).toBe(true);
  });

  it('no file in the data folder and no log line carries the plaintext', () => {
    const files: Record<string, Buffer> = Object.fromEntries(
      filesUnder(data).map((f) => [f.slice(tmp.length), readFileSync(f)]),
    );
    files['<stdout>'] = Buffer.from(stdout);
    files['<stderr>'] = Buffer.from(stderr);
    const needles = [...DEMO_PLATES.map((p) => p.plate), ...Object.values(FREE_TEXT), ...positionNeedles()];
    expect(needles.length).toBeGreaterThan(10);
    expect(scan(files, needles)).toEqual([]);
  });

  it('the scan finds what it looks for (the hot list it was fed; a planted needle)', () => {
    expect(scan({ src: readFileSync(hotCsv) }, Object.values(FREE_TEXT))).toHaveLength(4);
    const pos = positionNeedles()[0]!;
    expect(scan({ planted: Buffer.from(`x${pos}y`, 'utf16le') }, [pos])).toEqual([`planted: ${pos}`]);
  });
});
