/**
 * Every `alpr … --help` text, as a technician or an admin reads it: complete (every command and
 * option described), one default per option, no pointer elsewhere in place of the content.
 */
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli-program.ts';
import { CSV_COLUMNS } from '../../src/hotlist/csv.ts';
import { DEFAULT_CHECK } from '../../src/provision/index.ts';

function walk(c: Command, path: string[] = []): { path: string; cmd: Command }[] {
  const here = { path: [...path, c.name()].join(' '), cmd: c };
  return [here, ...c.commands.flatMap((s) => walk(s, [...path, c.name()]))];
}

const all = walk(buildProgram());
const byPath = (p: string) => all.find((x) => x.path === p)!.cmd;
/** The option's line(s) in the command's help, joined (commander wraps long descriptions). */
function optionHelp(cmd: Command, flag: string): string {
  const help = cmd.createHelp();
  const o = cmd.options.find((x: Option) => x.long === flag)!;
  return `${help.optionTerm(o)} ${help.optionDescription(o)}`;
}

describe('alpr --help texts', () => {
  it('walks the whole tree', () => {
    expect(all.length).toBeGreaterThan(30);
    expect(all.map((x) => x.path)).toContain('alpr hotlist push');
  });

  it.each(all.map((x) => [x.path, x.cmd] as const))(
    '%s: described, one default per option, nothing elided',
    (_, cmd) => {
      if (cmd.name() !== 'alpr') expect(cmd.description().length).toBeGreaterThan(10);
      const help = cmd.createHelp();
      for (const o of cmd.options) {
        const line = help.optionDescription(o);
        expect(o.description.length, `${o.flags}: no description`).toBeGreaterThan(3);
        expect(line.match(/\bdefault\b/g)?.length ?? 0, `${o.flags}: ${line}`).toBeLessThanOrEqual(1);
        expect(line, o.flags).not.toContain('(default: [])');
        expect(line, o.flags).not.toMatch(/see (the )?docs|…|\.\.\.\)/);
      }
      expect(cmd.helpInformation()).not.toMatch(/TODO|see docs/i);
    },
  );

  it('provision --check names its default once: the shipped check', () => {
    const line = optionHelp(byPath('alpr provision'), '--check');
    expect(line.split(DEFAULT_CHECK)).toHaveLength(2);
    expect(line).not.toContain('[]');
  });

  it('hotlist push and import --file give the whole CSV format', () => {
    for (const p of ['alpr hotlist push', 'alpr hotlist import']) {
      const line = optionHelp(byPath(p), '--file');
      for (const c of CSV_COLUMNS) expect(line, `${p}: ${c}`).toContain(c);
      expect(line).toMatch(/header/);
    }
  });

  it('repeatable options still collect every value, and none without a default', async () => {
    const seen: unknown[] = [];
    const p = buildProgram();
    const prov = p.commands.find((c) => c.name() === 'provision')!;
    prov.action((o: unknown) => {
      seen.push(o);
    });
    await p.parseAsync([
      'node',
      'alpr',
      'provision',
      '--root',
      '/x',
      '--check',
      'a',
      '--check',
      'b',
      '--admin-key',
      'k',
    ]);
    await p.parseAsync(['node', 'alpr', 'provision', '--root', '/x']);
    await p.parseAsync(['node', 'alpr', 'provision', '--root', '/x', '--no-check']);
    expect(seen[0]).toMatchObject({ check: ['a', 'b'], adminKey: ['k'] });
    expect(seen[1]).not.toHaveProperty('check');
    expect(seen[2]).toMatchObject({ check: false });
  });
});
