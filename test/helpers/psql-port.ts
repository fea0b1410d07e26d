/**
 * TEST ONLY: the central store's SqlPort over one long-running `psql` process, because the `pg`
 * npm package is not installed. Parameters are inlined as SQL literals (strings quoted with ''
 * doubled, standard_conforming_strings on); each statement is followed by an \echo marker with
 * psql's ERROR and SQLSTATE variables, and rows come back in unaligned form with a header line.
 * An agency's receiver uses `pg` (pg.Pool has the SqlPort shape), never this.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { SqlPort, SqlRow } from '../../src/central/sql-port.ts';
import { PG_BIN } from './postgres.ts';

const SEP = '\x1f';
const NULL = '\x1eNULL';

function literal(v: string | number | null): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`psql-port: ${v} is not a finite number`);
    return `(${String(v)})`;
  }
  if (v.includes('\0')) throw new Error('psql-port: NUL in a string parameter');
  return `'${v.replaceAll("'", "''")}'`;
}

/** `$1`… replaced by literals, outside quoted text ($n never appears in our statements' strings). */
export function inline(text: string, params: readonly (string | number | null)[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new Error(`psql-port: no parameter $${n}`);
    return literal(params[i]!);
  });
}

interface Waiting {
  marker: string;
  resolve: (r: { rows: SqlRow[] }) => void;
  reject: (e: Error) => void;
}

export class PsqlPort implements SqlPort {
  private readonly child: ChildProcess;
  private out = '';
  private err = '';
  private seq = 0;
  private readonly waiting: Waiting[] = [];

  constructor(args: string[]) {
    this.child = spawn(
      `${PG_BIN}/psql`,
      [
        '-X',
        '-q',
        '-A',
        '-F',
        SEP,
        '-P',
        'footer=off',
        '-P',
        `null=${NULL}`,
        '-v',
        'ON_ERROR_STOP=0',
        ...args,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString('utf8');
      this.drain();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString('utf8');
    });
    this.child.once('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`psql exited (${code}): ${this.err}`));
    });
  }

  query(text: string, params: readonly (string | number | null)[] = []): Promise<{ rows: SqlRow[] }> {
    const marker = `__alpr_end_${++this.seq}__`;
    const sql = `${inline(text, params).trim().replace(/;$/, '')};\n\\echo ${marker} :ERROR :SQLSTATE\n`;
    return new Promise((resolve, reject) => {
      this.waiting.push({ marker, resolve, reject });
      this.child.stdin!.write(sql);
    });
  }

  private drain(): void {
    for (;;) {
      const w = this.waiting[0];
      if (!w) return;
      const at = this.out.indexOf(`${w.marker} `);
      if (at < 0) return;
      const eol = this.out.indexOf('\n', at);
      if (eol < 0) return;
      const body = this.out.slice(0, at);
      const [, failed, state] = this.out.slice(at, eol).split(' ');
      this.out = this.out.slice(eol + 1);
      this.waiting.shift();
      if (failed === 'true') {
        const msg = this.err.trim() || 'error';
        this.err = '';
        w.reject(Object.assign(new Error(msg), { code: state }));
        continue;
      }
      this.err = '';
      w.resolve({ rows: parseRows(body) });
    }
  }

  async end(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin!.end('\\q\n');
    await exited;
  }
}

function parseRows(body: string): SqlRow[] {
  const lines = body.split('\n').filter((l) => l !== '');
  if (lines.length === 0) return [];
  const cols = lines[0]!.split(SEP);
  return lines.slice(1).map((l) => {
    const vals = l.split(SEP);
    const row: SqlRow = {};
    cols.forEach((c, i) => {
      const v = vals[i] ?? null;
      row[c] = v === NULL ? null : v;
    });
    return row;
  });
}
