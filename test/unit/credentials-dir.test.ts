import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialsDir } from '../../src/config/secrets.ts';

describe('credentialsDir: where secrets come from', () => {
  let dir: string;
  let saved: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'alpr-creds-'));
    saved = process.env.CREDENTIALS_DIRECTORY;
    delete process.env.CREDENTIALS_DIRECTORY;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CREDENTIALS_DIRECTORY;
    else process.env.CREDENTIALS_DIRECTORY = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes the config's folder first, then systemd's, then the provisioned one", () => {
    const provisioned = join(dir, 'credentials');
    mkdirSync(provisioned);
    expect(credentialsDir(undefined, provisioned)).toBe(provisioned);
    process.env.CREDENTIALS_DIRECTORY = '/run/credentials/alpr.service';
    expect(credentialsDir(undefined, provisioned)).toBe('/run/credentials/alpr.service');
    expect(credentialsDir('/srv/creds', provisioned)).toBe('/srv/creds');
  });

  it('has none when the provisioned folder is missing (a unit not provisioned)', () => {
    expect(credentialsDir(undefined, join(dir, 'nothing-here'))).toBeUndefined();
  });

  it.skipIf(process.getuid?.() === 0)('has none when this user may not read the provisioned folder', () => {
    const provisioned = join(dir, 'credentials');
    mkdirSync(provisioned);
    chmodSync(provisioned, 0);
    expect(credentialsDir(undefined, provisioned)).toBeUndefined();
  });
});
