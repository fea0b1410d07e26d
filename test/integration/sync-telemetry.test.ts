import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../../src/core/bus.ts';
import type { HealthSnapshot, HeartbeatSnapshot, OutboxPort, TelemetryPort } from '../../src/domain/ports.ts';
import { SyncStage } from '../../src/sync/index.ts';
import { type HealthPayload, type HeartbeatPayload, topics } from '../../src/sync/topics.ts';
import { type Broker, destroyMosquitto, hasMosquitto, startMosquitto } from '../helpers/mosquitto.ts';
import { captureLog, syncConfig, UNIT, waitFor } from '../helpers/sync-fixtures.ts';

if (!hasMosquitto)
  console.warn('sync-telemetry: skipped, mosquitto not installed (apt-get install mosquitto)');

/** An outbox that only reports a depth: telemetry never goes through it. */
function depthOutbox(depth: number): OutboxPort {
  return {
    peek: () => [],
    ack: () => {},
    depth: () => depth,
    lastAckedAt: () => null,
    onEnqueue: () => () => {},
  };
}

class FakeTelemetry implements TelemetryPort {
  snapshot: HealthSnapshot = {
    status: 'amber',
    phase: 'starting',
    lights: {
      cameras: { light: 'amber', reasons: ['starting: checking'] },
      server: { light: 'amber', reasons: ['starting: checking'] },
      gps: { light: 'amber', reasons: ['starting: checking'] },
      system: { light: 'amber', reasons: ['starting: checking'] },
    },
  };
  private readonly listeners = new Set<() => void>();
  health(): HealthSnapshot {
    return this.snapshot;
  }
  onHealthChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  change(s: HealthSnapshot): void {
    this.snapshot = s;
    for (const fn of this.listeners) fn();
  }
  async heartbeat(): Promise<HeartbeatSnapshot> {
    return {
      versions: { software: '0.1.0', model: 'ppocr-v4' },
      hotlists: [{ list: 'SVS', version: 42, entries: 3, appliedAt: 1 }],
      uptimeS: 12,
      cameras: [{ id: 'front', fps: 9.8, light: 'green' }],
      diskFreeMb: 1234,
      cpuTempC: 51.5,
      lastSelftest: { at: '2026-11-24T00:00:00.000Z', passed: true, failed: [] },
    };
  }
}

/** Connects a fresh subscriber and collects what arrives on `topic`, retained copies included. */
async function subscribe(url: string, topic: string) {
  const got: { body: Record<string, unknown>; retain: boolean }[] = [];
  const c = mqtt.connect(url, { clientId: `late-${Math.random().toString(36).slice(2)}` });
  c.on('message', (_t, payload, packet) =>
    got.push({ body: JSON.parse(payload.toString()), retain: packet.retain }),
  );
  await new Promise<void>((res, rej) => {
    c.once('connect', () => c.subscribe(topic, { qos: 1 }, (e) => (e ? rej(e) : res())));
    c.once('error', rej);
  });
  return { got, end: () => c.endAsync() };
}

describe.skipIf(!hasMosquitto)('sync telemetry through a real mosquitto', () => {
  let broker: Broker;
  let sync: SyncStage;
  const port = new FakeTelemetry();
  const cap = captureLog('warn');

  beforeAll(async () => {
    broker = await startMosquitto();
    sync = new SyncStage({
      bus: new Bus(),
      log: cap.log,
      config: syncConfig(broker.url),
      unit: UNIT,
      outbox: depthOutbox(17),
      telemetry: port,
      telemetryConfig: { healthIntervalS: 1, heartbeatIntervalS: 60 },
    });
    await sync.start();
  });

  afterAll(async () => {
    await sync?.stop();
    await destroyMosquitto(broker);
  });

  it('leaves the health lights retained for a subscriber that comes later', async () => {
    await waitFor(() => sync.isConnected, 10_000, 'connection');
    const t = topics('alpr', UNIT);
    expect(t.health).toBe('alpr/metro/unit-7/health');
    // Nobody listens yet: the retained copy is all a late subscriber can get.
    await new Promise((r) => setTimeout(r, 300));
    const late = await subscribe(broker.url, t.health);
    await waitFor(() => late.got.length > 0, 5000, 'retained health');
    const first = late.got[0]!;
    expect(first.retain).toBe(true);
    const h = first.body as unknown as HealthPayload;
    expect(h.type).toBe('health');
    expect(h.version).toBe(1);
    expect(typeof h.id).toBe('string');
    expect(h.id.length).toBeGreaterThan(8);
    expect(h).toMatchObject({ agency: 'metro', unit: 'unit-7', status: 'amber', phase: 'starting' });
    expect(h.lights.cameras?.reasons).toEqual(['starting: checking']);

    // A change goes out at once (not at the next period), and the retained copy follows it.
    port.change({
      status: 'red',
      phase: 'running',
      lights: {
        ...port.snapshot.lights,
        cameras: { light: 'red', reasons: ['camera rear: no frames for 12 s'] },
      },
    });
    await waitFor(() => late.got.some((m) => m.body.status === 'red'), 3000, 'changed health');
    await late.end();
    const later = await subscribe(broker.url, t.health);
    await waitFor(() => later.got.length > 0, 5000, 'retained health');
    expect(later.got[0]!.body).toMatchObject({ status: 'red', type: 'health' });
    // Periodic re-publication (every second in this test) without any change.
    const n = later.got.length;
    await waitFor(() => later.got.length >= n + 2, 5000, 'periodic health');
    const ids = new Set(later.got.map((m) => m.body.id));
    expect(ids.size).toBe(later.got.length);
    await later.end();
  });

  it('publishes a retained heartbeat with versions, fps, outbox depth, disk, temperature and self-test', async () => {
    const sub = await subscribe(broker.url, topics('alpr', UNIT).heartbeat);
    await waitFor(() => sub.got.length > 0, 5000, 'heartbeat');
    const hb = sub.got[0]!.body as unknown as HeartbeatPayload;
    expect(sub.got[0]!.retain).toBe(true);
    expect(hb).toMatchObject({
      type: 'heartbeat',
      version: 1,
      agency: 'metro',
      unit: 'unit-7',
      outboxDepth: 17,
      versions: { software: '0.1.0', model: 'ppocr-v4' },
      hotlists: [{ list: 'SVS', version: 42 }],
      cameras: [{ id: 'front', fps: 9.8 }],
      diskFreeMb: 1234,
      cpuTempC: 51.5,
      lastSelftest: { passed: true },
    });
    expect(typeof hb.id).toBe('string');
    await sub.end();
    expect(cap.text()).not.toContain('telemetry');
  });
});
