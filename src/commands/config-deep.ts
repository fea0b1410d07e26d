/**
 * `alpr config check --deep`: everything the config names, checked on this unit before it goes
 * into a car. The schema says a config is well formed; this says the unit can run it: every file
 * and folder exists and is readable, every key parses, the data folder can be created, the ports
 * are free. Each problem is path-qualified like the schema's (`cameras[0].path: …`).
 *
 * Only reads and probes: nothing is created, no device is opened for longer than a stat, and a
 * port is bound only for the instant it takes to see whether it is free.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { SEALED_SUFFIX } from '../config/sealed.ts';
import { certKeyProblem, credentialsDir, PROVISIONED_CREDENTIALS, readSecret } from '../config/secrets.ts';
import { parseKey } from '../domain/seal.ts';
import { csvEntries, fileLines } from '../hotlist/csv.ts';

const IMAGE = /\.(jpe?g|png)$/i;

/** Why `path` cannot be read as a file, or null when it can. */
function fileProblem(path: string): string | null {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
    return null;
  } catch (err) {
    return describeFsError(path, err);
  }
}

function describeFsError(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${path} does not exist`;
  if (code === 'EACCES' || code === 'EPERM') return `${path} is not readable by this user`;
  if (code === 'ENOTDIR') return `${path}: a folder on the way is a file`;
  return `${path}: ${(err as Error).message}`;
}

/** A file camera's path: a folder holding at least one JPEG/PNG, or a readable video file. */
function cameraFolderProblem(path: string): string | null {
  try {
    const st = statSync(path);
    if (st.isFile()) return fileProblem(path);
    if (!readdirSync(path).some((n) => IMAGE.test(n))) return `${path} holds no .jpg or .png frames`;
    return null;
  } catch (err) {
    return describeFsError(path, err);
  }
}

/** The data folder: writable if it exists, else its nearest existing ancestor must be. */
function dataDirProblem(path: string): string | null {
  let p = path;
  for (;;) {
    try {
      const st = statSync(p);
      if (!st.isDirectory()) return `${p} is not a folder, so ${path} cannot be created`;
      accessSync(p, constants.W_OK | constants.X_OK);
      return null;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && dirname(p) !== p) {
        p = dirname(p);
        continue;
      }
      if (code === 'EACCES' || code === 'EPERM')
        return p === path
          ? `${path} is not writable by this user`
          : `${path} cannot be created: ${p} is not writable`;
      return describeFsError(p, err);
    }
  }
}

/** A secret in the credentials folder, read; null plus a problem when it cannot be. */
function secret(dir: string | undefined, name: string): { bytes: Buffer | null; problem: string | null } {
  if (!dir)
    return {
      bytes: null,
      problem: `"${name}" needed but no credentials folder (paths.credentialsDir, systemd LoadCredential=, or ${PROVISIONED_CREDENTIALS} readable)`,
    };
  const path = join(dir, name);
  // A sealed key is opened with this unit's TPM: the reason a sealed unit cannot start shows here.
  if (existsSync(path + SEALED_SUFFIX)) {
    try {
      return { bytes: readSecret(dir, name), problem: null };
    } catch (err) {
      return { bytes: null, problem: `${(err as Error).message}` };
    }
  }
  const p = fileProblem(path);
  if (p) return { bytes: null, problem: p };
  return { bytes: readFileSync(path), problem: null };
}

/** With paths.keySealing tpm2: each key the config names is sealed, and no plain copy is left. */
function sealingProblem(dir: string | undefined, name: string): string | null {
  if (!dir || process.env.CREDENTIALS_DIRECTORY === dir) return null;
  const path = join(dir, name);
  if (!existsSync(path + SEALED_SUFFIX))
    return `${path} is not sealed (no ${name}${SEALED_SUFFIX}) although paths.keySealing is tpm2`;
  if (existsSync(path)) return `a plain copy of the sealed ${name} is left in ${dir}: remove it`;
  return null;
}

/** A PEM file (certificate or key) must at least look like one: a missing file copied as empty fails here. */
function pemProblem(dir: string | undefined, name: string): string | null {
  const s = secret(dir, name);
  if (s.problem) return s.problem;
  return /-----BEGIN [A-Z0-9 ]+-----/.test(s.bytes!.toString('latin1'))
    ? null
    : `${join(dir!, name)} is not PEM`;
}

/** Whether host:port can be bound right now (what the daemon will do at start). */
export function portProblem(host: string, port: number): Promise<string | null> {
  if (port === 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      resolve(
        err.code === 'EADDRINUSE'
          ? `${host}:${port} is already in use (another alpr, or another program)`
          : `cannot listen on ${host}:${port}: ${err.message}`,
      );
    });
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(null)));
  });
}

async function seedCsvProblem(list: string, path: string): Promise<string | null> {
  const p = fileProblem(path);
  if (p) return p;
  let bad = 0;
  let first = '';
  try {
    for await (const _ of csvEntries(fileLines(path), { list, now: Date.now(), source: null }, (e) => {
      // The column only: the message may quote plate text, and this goes to a terminal and logs.
      if (bad++ === 0) first = `line ${e.line} (${e.message.split(':')[0]})`;
    }));
  } catch (err) {
    return `${path}: ${(err as Error).message}`;
  }
  return bad > 0 ? `${path}: ${bad} bad row(s), first at ${first}` : null;
}

/** Every problem that would stop or blind the unit, as `config.path: what is wrong`. */
/** A model file onnxruntime cannot load (damaged, truncated, not ONNX): what the daemon would hit at start. */
async function modelProblem(path: string): Promise<string | null> {
  try {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
    await session.release();
    return null;
  } catch (err) {
    return `${path}: not a model onnxruntime can load (${(err as Error).message.split('\n')[0]})`;
  }
}

export async function deepProblems(c: Readonly<Config>): Promise<string[]> {
  const out: string[] = [];
  const add = (where: string, problem: string | null) => {
    if (problem) out.push(`${where}: ${problem}`);
  };
  const creds = credentialsDir(c.paths.credentialsDir);
  if (c.paths.credentialsDir) {
    try {
      if (!statSync(c.paths.credentialsDir).isDirectory())
        add('paths.credentialsDir', `${c.paths.credentialsDir} is not a folder`);
    } catch (err) {
      add('paths.credentialsDir', describeFsError(c.paths.credentialsDir, err));
    }
  }
  add('paths.dataDir', dataDirProblem(c.paths.dataDir));
  c.cameras.forEach((cam, i) => {
    if (cam.type === 'file') add(`cameras[${i}].path`, cameraFolderProblem(cam.path));
    else {
      if (cam.type === 'v4l2' && cam.url.startsWith('/')) add(`cameras[${i}].url`, fileOrDevice(cam.url));
      if (cam.credentials) add(`cameras[${i}].credentials`, secret(creds, cam.credentials).problem);
    }
  });
  if (c.gps.type === 'replay') add('gps.path', fileProblem(c.gps.path));
  if (c.gps.type === 'serial') add('gps.path', fileOrDevice(c.gps.path));
  for (const [i, s] of c.hotlist.seedCsv.entries())
    add(`hotlist.seedCsv[${i}].path`, await seedCsvProblem(s.list, s.path));
  for (const k of ['detModel', 'recModel', 'keys'] as const) {
    const p = c.recognize[k];
    if (!p) continue;
    const missing = fileProblem(p);
    add(`recognize.${k}`, missing ?? (k === 'keys' ? null : await modelProblem(p)));
  }
  if (c.paths.keySealing === 'tpm2') {
    if (c.store.encryption !== 'none') add('store.keyFile', sealingProblem(creds, c.store.keyFile));
    if (c.sync.type === 'mqtt' && c.sync.keyFile) add('sync.keyFile', sealingProblem(creds, c.sync.keyFile));
  }
  if (c.store.encryption !== 'none') {
    const s = secret(creds, c.store.keyFile);
    if (s.problem) add('store.keyFile', s.problem);
    else {
      try {
        parseKey(s.bytes!);
      } catch (err) {
        add('store.keyFile', `${join(creds!, c.store.keyFile)}: ${(err as Error).message}`);
      }
    }
  }
  if (c.sync.type === 'mqtt') {
    let pems = 0;
    for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
      const name = c.sync[k];
      if (!name) continue;
      const problem = pemProblem(creds, name);
      add(`sync.${k}`, problem);
      if (!problem && k !== 'caFile') pems++;
    }
    // both readable: they must be a pair, or every connection fails with OpenSSL's "key values mismatch"
    if (pems === 2 && c.sync.certFile && c.sync.keyFile) {
      const cert = secret(creds, c.sync.certFile).bytes;
      const key = secret(creds, c.sync.keyFile).bytes;
      if (cert && key) {
        const p = certKeyProblem(cert, key);
        add('sync.keyFile', p && `${c.sync.certFile} and ${c.sync.keyFile} do not go together: ${p}`);
      }
    }
  }
  if (c.web.enabled && c.web.tls)
    for (const k of ['certFile', 'keyFile'] as const) add(`web.${k}`, pemProblem(creds, c.web[k]));
  if (c.health.http.enabled)
    add('health.http.port', await portProblem(c.health.http.host, c.health.http.port));
  if (c.web.enabled) add('web.port', await portProblem(c.web.host, c.web.port));
  return out;
}

/** A device node or file that must exist and be readable (a GPS or a USB camera). */
function fileOrDevice(path: string): string | null {
  try {
    statSync(path);
    accessSync(path, constants.R_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path} does not exist (device unplugged?)` : describeFsError(path, err);
  }
}
