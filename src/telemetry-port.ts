/**
 * Composition-root helper: the TelemetryPort the sync stage publishes from, filled from the health
 * stage, capture statistics, the hot-list store and the last saved self-test. Only the root
 * (src/daemon.ts) calls it; stages never see each other through it.
 */
import { readFile } from 'node:fs/promises';
import type { HealthSnapshot, HeartbeatSnapshot, TelemetryPort } from './domain/ports.ts';
import type { Light } from './domain/types.ts';
import { cpuTemperature, diskSpace } from './health/probes.ts';

/** What the port reads; structural so tests can pass plain objects. */
export interface TelemetrySources {
  health: {
    body(): { status: Light; phase: 'starting' | 'running'; lights: HealthSnapshot['lights'] };
    onChange(fn: () => void): () => void;
  };
  /** Camera statistics (CaptureStage.stats), or null before capture has started. */
  cameras: () => readonly { id: string; fpsIn: number; light: Light }[] | null;
  /** Hot lists (HotlistStage.lists), or null before the store is open. */
  hotlists: () => readonly { name: string; version: number; entries: number; appliedAt: number }[] | null;
  versions: () => Record<string, string>;
  /** The data folder whose file system's free space is reported. */
  dataDir: string;
  /** CPU temperature file (health.temperature.path). */
  temperaturePath: string;
  /** The JSON report `alpr selftest --save` wrote (absent = never run). */
  selftestFile: string;
  /** Epoch ms the daemon started. */
  startedAt: number;
  now?: () => number;
}

/** Summarises a saved self-test report; null when there is none or it is not one. */
export function summariseSelftest(text: string | null): HeartbeatSnapshot['lastSelftest'] {
  if (!text) return null;
  try {
    const r = JSON.parse(text) as {
      at?: unknown;
      passed?: unknown;
      checks?: { name: string; result: string }[];
    };
    if (typeof r.at !== 'string' || typeof r.passed !== 'boolean') return null;
    const failed = (Array.isArray(r.checks) ? r.checks : [])
      .filter((c) => c.result === 'fail')
      .map((c) => c.name);
    return { at: r.at, passed: r.passed, failed };
  } catch {
    return null;
  }
}

export function telemetryPort(s: TelemetrySources): TelemetryPort {
  const now = s.now ?? Date.now;
  return {
    health: () => {
      const b = s.health.body();
      return { status: b.status, phase: b.phase, lights: b.lights };
    },
    onHealthChange: (fn) => s.health.onChange(() => fn()),
    heartbeat: async () => {
      const disk = await diskSpace(s.dataDir).catch(() => null);
      const saved = await readFile(s.selftestFile, 'utf8').catch(() => null);
      return {
        versions: s.versions(),
        hotlists: (s.hotlists() ?? []).map((l) => ({
          list: l.name,
          version: l.version,
          entries: l.entries,
          appliedAt: l.appliedAt,
        })),
        uptimeS: Math.round((now() - s.startedAt) / 1000),
        cameras: (s.cameras() ?? []).map((c) => ({ id: c.id, fps: c.fpsIn, light: c.light })),
        diskFreeMb: disk ? Math.round(disk.freeBytes / 1048576) : null,
        cpuTempC: await cpuTemperature(s.temperaturePath),
        lastSelftest: summariseSelftest(saved),
      };
    },
  };
}
