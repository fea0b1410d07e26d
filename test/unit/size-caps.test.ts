import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  boundedLines,
  CSV_COLUMNS,
  csvEntries,
  entryToCsv,
  escapeFormula,
  MAX_FIELD_CHARS,
  MAX_LINE_CHARS,
  unescapeFormula,
  validateCsv,
} from '../../src/hotlist/csv.ts';
import { clientOptions } from '../../src/sync/link.ts';
import { packetCap } from '../../src/core/broker-session.ts';
import { MAX_ROSTER_BYTES, openRoster } from '../../src/sync/roster.ts';
import { MAX_HOLD_COMMAND_BYTES, MAX_LINK_PACKET_BYTES, parseHoldCommand } from '../../src/sync/topics.ts';
import { hotlistEntry } from '../helpers/hotlist-fixtures.ts';
import { syncConfig } from '../helpers/sync-fixtures.ts';

afterEach(() => vi.restoreAllMocks());

/** Valid JSON of `bytes` bytes: a parser would happily read it all. */
function bigJson(bytes: number, fields: Record<string, unknown>): Buffer {
  const head = JSON.stringify({ ...fields, pad: '' }).slice(0, -2);
  return Buffer.from(`${head}${'x'.repeat(bytes - head.length - 2)}"}`);
}

describe('oversize MQTT messages are refused before they are parsed', () => {
  it('a hold command above the cap', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const cmd = bigJson(MAX_HOLD_COMMAND_BYTES + 1, { type: 'hold', version: 1, id: 'h1' });
    expect(parseHoldCommand(cmd, { agency: 'a', id: 'u' }, new Map(), 0)).toMatch(/^too large/);
    expect(parse).not.toHaveBeenCalled();
  });

  it('a roster above the cap (a 100 MB roster is not read into memory twice over)', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const roster = bigJson(MAX_ROSTER_BYTES + 1, { type: 'roster', version: 1 });
    expect(openRoster(roster, { agency: 'pd', unit: 'u1' }, new Map())).toMatch(/^roster too large/);
    expect(parse).not.toHaveBeenCalled();
    // Under the cap the message is parsed (and refused for what it is).
    expect(openRoster(Buffer.from('{"type":"roster"}'), { agency: 'pd', unit: 'u1' }, new Map())).toBe(
      'unknown roster type or format',
    );
  });

  it('MQTT 5 connections ask the broker to drop packets above the caps', () => {
    const c = syncConfig('mqtts://b:8883');
    if (c.type !== 'mqtt') throw new Error('an mqtt section');
    const link = clientOptions(c, { agency: 'pd', id: 'u1' }, {}, '{}');
    expect(link.properties?.maximumPacketSize).toBe(MAX_LINK_PACKET_BYTES);
    expect(packetCap({ protocolVersion: 5 }, 99)).toEqual({ properties: { maximumPacketSize: 99 } });
    expect(packetCap({ protocolVersion: 4 }, 99)).toEqual({});
  });
});

describe('hot-list CSV size limits', () => {
  it.each([
    ['reason', 'r'],
    ['synopsis', 's'],
    ['officer_phone', '5'],
    ['plate', 'A'],
  ] as const)('a %s longer than its limit is a bad row naming the column, not its text', async (col, ch) => {
    const value = ch.repeat(MAX_FIELD_CHARS[col] + 1);
    const row = `7ABC123,${col === 'plate' ? '' : value}`.replace(
      /^7ABC123/,
      col === 'plate' ? value : '7ABC123',
    );
    const header = col === 'plate' ? 'plate,reason' : `plate,${col}`;
    const r = await validateCsv([header, row, '8XYZ999,ok'], { list: 'SVS', now: 0, source: null });
    expect(r.rows).toBe(1);
    expect(r.errors).toEqual([
      { line: 2, message: `${col}: longer than ${MAX_FIELD_CHARS[col]} characters` },
    ]);
  });

  it('a 150 MB line stops the reader at the line cap, without collecting the line', async () => {
    let chunks = 0;
    async function* hugeLine() {
      yield `${CSV_COLUMNS.join(',')}\n7ABC123`;
      for (let i = 0; i < 150; i++) {
        chunks++;
        yield 'x'.repeat(1024 * 1024);
      }
    }
    const read = async () => {
      for await (const _ of csvEntries(
        boundedLines(hugeLine()),
        { list: 'SVS', now: 0, source: null },
        () => {},
      ));
    };
    await expect(read()).rejects.toMatchObject({
      code: 'ALPR_E_HOTLIST_CSV',
      message: `line 2: longer than ${MAX_LINE_CHARS} characters (not a hot-list row)`,
    });
    expect(chunks).toBe(1);
  });

  it('splits LF and CRLF lines like a line reader', async () => {
    const out: string[] = [];
    for await (const l of boundedLines(['a,b\r\nc', ',d\n', Buffer.from('e\u00e9'), Buffer.from('\n')]))
      out.push(l);
    expect(out).toEqual(['a,b', 'c,d', 'eé']);
  });
});

describe('formula text in exported hot lists', () => {
  it.each(["=cmd|' /C calc'!A0", '+1 555 0100', '-2+3', '@SUM(A1)', "'quoted'", 'plain'])(
    '%j is written so a spreadsheet shows text, and read back as entered',
    async (reason) => {
      const line = entryToCsv(hotlistEntry('7ABC123', { reason, officerPhone: reason }));
      const fields = line.split(',');
      for (const f of [fields[6]!, fields[8]!]) expect(f.replace(/^"/, '')).not.toMatch(/^[=+\-@]/);
      const [back] = await (async () => {
        const out = [];
        for await (const e of csvEntries(
          [CSV_COLUMNS.join(','), line],
          { list: 'SVS', now: 0, source: null },
          (e) => {
            throw new Error(e.message);
          },
        ))
          out.push(e);
        return out;
      })();
      expect([back?.reason, back?.officerPhone]).toEqual([reason, reason]);
    },
  );

  it('escapes and unescapes symmetrically', () => {
    expect(escapeFormula('=1+1')).toBe("'=1+1");
    expect(escapeFormula("'x")).toBe("''x");
    expect(unescapeFormula(escapeFormula("''x"))).toBe("''x");
    expect(escapeFormula('Stolen 2026')).toBe('Stolen 2026');
  });
});
